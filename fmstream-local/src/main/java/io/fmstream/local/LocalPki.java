package io.fmstream.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority for a local TLS deployment, made with the JDK's own {@code
 * keytool}: a CA, a server key pair for {@code localhost} / {@code 127.0.0.1} signed by it (PKCS#12
 * keystore) and a truststore holding the CA certificate; on request, client certificates for mutual
 * TLS ({@link #issueClientCertificate}). Nothing is fetched; everything lives under one folder.
 */
public final class LocalPki {

    private final Path dir;
    private final String password;

    private LocalPki(Path dir, String password) {
        this.dir = dir;
        this.password = password;
    }

    /** Creates the CA, the server keystore and the truststore under {@code dir}. */
    public static LocalPki create(Path dir, String password) throws IOException {
        return create(dir, password, List.of());
    }

    /**
     * As {@link #create(Path, String)}, with a client certificate for each of {@code clients}
     * ({@link #issueClientCertificate}). Once the CA exists, the server's, the truststore's and the
     * clients' keytool runs go side by side: each is a JVM start, and the 18 of a PKI with two
     * clients took 10-15 s one after another on 2 cores.
     */
    public static LocalPki create(Path dir, String password, List<String> clients)
            throws IOException {
        for (String name : clients) {
            checkClientName(name);
        }
        Files.createDirectories(dir);
        LocalPki pki = new LocalPki(dir, password);
        Path ca = dir.resolve("ca.p12");
        Path server = pki.keystore();
        pki.keytool(
                "-genkeypair",
                "-alias",
                "ca",
                "-dname",
                "CN=fmstream local CA",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-validity",
                "30",
                "-ext",
                "bc:c",
                "-keystore",
                ca.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password);
        pki.keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "ca",
                "-keystore",
                ca.toString(),
                "-storepass",
                password,
                "-file",
                dir.resolve("ca.pem").toString());
        List<IoAction> steps = new ArrayList<>();
        steps.add(
                () ->
                        pki.issueSigned(
                                "server",
                                "CN=localhost",
                                server,
                                "server",
                                "SAN=dns:localhost,ip:127.0.0.1",
                                "ku:c=digitalSignature,keyEncipherment",
                                "eku=serverAuth,clientAuth"));
        steps.add(() -> pki.importCa(pki.truststore()));
        for (String name : clients) {
            steps.add(() -> pki.issueClientCertificate(name));
        }
        sideBySide(steps);
        return pki;
    }

    private interface IoAction {
        void run() throws IOException;
    }

    /** Runs {@code actions} on threads of their own; the first failure is thrown after all end. */
    private static void sideBySide(List<IoAction> actions) throws IOException {
        List<Thread> threads = new ArrayList<>();
        List<IOException> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (IoAction a : actions) {
            Thread t =
                    new Thread(
                            () -> {
                                try {
                                    a.run();
                                } catch (IOException e) {
                                    failures.add(e);
                                }
                            },
                            "local-pki");
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (!failures.isEmpty()) {
            IOException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    private static void checkClientName(String name) {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException(
                    "a client name is letters, digits, '.', '_' or '-' (it becomes the CN): "
                            + name);
        }
    }

    /**
     * Issues a client certificate with subject {@code CN=<name>}, signed by this CA, into {@link
     * #clientKeystore(String)} (key and chain, PKCS#12, this PKI's password), for a client that
     * authenticates with mutual TLS. A broker whose principal mapping takes the CN sees it as
     * {@code User:<name>}.
     */
    public Path issueClientCertificate(String name) throws IOException {
        checkClientName(name);
        Path store = clientKeystore(name);
        issueSigned(
                "client",
                "CN=" + name,
                store,
                "client-" + name,
                "ku:c=digitalSignature,keyEncipherment",
                "eku=clientAuth");
        return store;
    }

    /**
     * A key pair {@code alias} with subject {@code dname} in a new PKCS#12 keystore {@code store},
     * its certificate signed by the CA with {@code extensions} (keytool {@code -ext} values), and
     * the CA certificate beside it, so the store holds the whole chain. The request and the signed
     * certificate are left as {@code <files>.csr} and {@code <files>.pem}.
     */
    private void issueSigned(
            String alias, String dname, Path store, String files, String... extensions)
            throws IOException {
        Path csr = dir.resolve(files + ".csr");
        Path pem = dir.resolve(files + ".pem");
        keytool(
                "-genkeypair",
                "-alias",
                alias,
                "-dname",
                dname,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-validity",
                "30",
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password);
        keytool(
                "-certreq",
                "-alias",
                alias,
                "-keystore",
                store.toString(),
                "-storepass",
                password,
                "-file",
                csr.toString());
        List<String> gencert =
                new ArrayList<>(
                        List.of(
                                "-gencert",
                                "-alias",
                                "ca",
                                "-keystore",
                                dir.resolve("ca.p12").toString(),
                                "-storepass",
                                password,
                                "-infile",
                                csr.toString(),
                                "-outfile",
                                pem.toString(),
                                "-rfc",
                                "-validity",
                                "30"));
        for (String e : extensions) {
            gencert.add("-ext");
            gencert.add(e);
        }
        keytool(gencert.toArray(String[]::new));
        // The CA first, so that keytool accepts the signed reply as a chain.
        importCa(store);
        keytool(
                "-importcert",
                "-alias",
                alias,
                "-file",
                pem.toString(),
                "-keystore",
                store.toString(),
                "-storepass",
                password);
    }

    /** The CA certificate into {@code store} (PKCS#12, created if missing), trusted. */
    private void importCa(Path store) throws IOException {
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                dir.resolve("ca.pem").toString(),
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password);
    }

    /** Where {@link #issueClientCertificate} puts {@code name}'s keystore. */
    public Path clientKeystore(String name) {
        return dir.resolve("client-" + name + ".p12");
    }

    /** The server's PKCS#12 keystore (key and certificate chain). */
    public Path keystore() {
        return dir.resolve("server.p12");
    }

    /** The PKCS#12 truststore holding the CA certificate, for clients and brokers. */
    public Path truststore() {
        return dir.resolve("truststore.p12");
    }

    public String password() {
        return password;
    }

    private void keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        // Each call is a short-lived JVM: C1 alone and the serial collector start it fastest.
        command.add("-J-XX:TieredStopAtLevel=1");
        command.add("-J-XX:+UseSerialGC");
        command.addAll(List.of(args));
        Path out = dir.resolve("keytool.out");
        Process p =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                        .start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(
                        "keytool " + args[0] + " failed; see " + out + ChildJvm.tail(out));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
