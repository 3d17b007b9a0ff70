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
                "RSA",
                "-keysize",
                "2048",
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
        pki.keytool(
                "-genkeypair",
                "-alias",
                "server",
                "-dname",
                "CN=localhost",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "30",
                "-keystore",
                server.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password);
        pki.keytool(
                "-certreq",
                "-alias",
                "server",
                "-keystore",
                server.toString(),
                "-storepass",
                password,
                "-file",
                dir.resolve("server.csr").toString());
        pki.keytool(
                "-gencert",
                "-alias",
                "ca",
                "-keystore",
                ca.toString(),
                "-storepass",
                password,
                "-infile",
                dir.resolve("server.csr").toString(),
                "-outfile",
                dir.resolve("server.pem").toString(),
                "-rfc",
                "-validity",
                "30",
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1",
                "-ext",
                "ku:c=digitalSignature,keyEncipherment",
                "-ext",
                "eku=serverAuth,clientAuth");
        pki.keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                dir.resolve("ca.pem").toString(),
                "-keystore",
                server.toString(),
                "-storepass",
                password);
        pki.keytool(
                "-importcert",
                "-alias",
                "server",
                "-file",
                dir.resolve("server.pem").toString(),
                "-keystore",
                server.toString(),
                "-storepass",
                password);
        pki.keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                dir.resolve("ca.pem").toString(),
                "-keystore",
                pki.truststore().toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password);
        return pki;
    }

    /**
     * Issues a client certificate with subject {@code CN=<name>}, signed by this CA, into {@link
     * #clientKeystore(String)} (key and chain, PKCS#12, this PKI's password), for a client that
     * authenticates with mutual TLS. A broker whose principal mapping takes the CN sees it as
     * {@code User:<name>}.
     */
    public Path issueClientCertificate(String name) throws IOException {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException(
                    "a client name is letters, digits, '.', '_' or '-' (it becomes the CN): "
                            + name);
        }
        Path store = clientKeystore(name);
        Path ca = dir.resolve("ca.p12");
        Path csr = dir.resolve("client-" + name + ".csr");
        Path pem = dir.resolve("client-" + name + ".pem");
        keytool(
                "-genkeypair",
                "-alias",
                "client",
                "-dname",
                "CN=" + name,
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
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
                "client",
                "-keystore",
                store.toString(),
                "-storepass",
                password,
                "-file",
                csr.toString());
        keytool(
                "-gencert",
                "-alias",
                "ca",
                "-keystore",
                ca.toString(),
                "-storepass",
                password,
                "-infile",
                csr.toString(),
                "-outfile",
                pem.toString(),
                "-rfc",
                "-validity",
                "30",
                "-ext",
                "ku:c=digitalSignature,keyEncipherment",
                "-ext",
                "eku=clientAuth");
        // The CA first, so that keytool accepts the signed reply as a chain.
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                dir.resolve("ca.pem").toString(),
                "-keystore",
                store.toString(),
                "-storepass",
                password);
        keytool(
                "-importcert",
                "-alias",
                "client",
                "-file",
                pem.toString(),
                "-keystore",
                store.toString(),
                "-storepass",
                password);
        return store;
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
