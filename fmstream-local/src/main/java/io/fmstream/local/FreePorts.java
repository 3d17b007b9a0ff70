package io.fmstream.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for processes that are told their port before they bind it (a broker, a Flink
 * JobManager, a reporter started later).
 *
 * <p>Why not {@code new ServerSocket(0)}: that port comes from the kernel's ephemeral range, the
 * same range every outgoing connection's local port is drawn from. Between picking it and the child
 * process binding it (seconds, for a JVM), a client connection of a neighbouring broker may take
 * it, and the process fails to start ("Address already in use"), as a cluster test's JobManager did
 * once on CI. Ports below the ephemeral range are never given to outgoing connections, so only
 * another listener choosing the same port at random could collide; ports handed out by this JVM are
 * not handed out again.
 */
public final class FreePorts {

    /** Lowest port handed out: above the registered services most machines run. */
    static final int LOW = 20_000;

    private static final Set<Integer> GIVEN = new HashSet<>();

    private FreePorts() {}

    /** A port free on loopback now, outside the ephemeral range where the machine has one. */
    public static synchronized int pick() {
        int high = ephemeralLow() - 1;
        if (high - LOW >= 1000) {
            for (int attempt = 0; attempt < 200; attempt++) {
                int port = ThreadLocalRandom.current().nextInt(LOW, high + 1);
                if (!GIVEN.contains(port) && bindable(port)) {
                    GIVEN.add(port);
                    return port;
                }
            }
        }
        // No usable range below the ephemeral one: the kernel's choice, as before.
        for (int attempt = 0; attempt < 20; attempt++) {
            try (ServerSocket s = new ServerSocket(0)) {
                int port = s.getLocalPort();
                if (GIVEN.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no free port found");
    }

    /** The ephemeral range's first port (Linux's {@code ip_local_port_range}; 32768 if unknown). */
    static int ephemeralLow() {
        try {
            // Read line-wise: Files.readString / readAllBytes see a size of 0, read one byte,
            // and a sysctl file then answers the next read (at offset 1) with end of file: they
            // returned "3", and every port came from the ephemeral range, the very collision
            // this class exists to avoid (a Flink reporter's port taken on CI).
            String range =
                    Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0);
            return Integer.parseInt(range.trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    private static boolean bindable(int port) {
        // Checked on the wildcard address as well as loopback: a listener on either takes it.
        for (InetAddress address : new InetAddress[] {InetAddress.getLoopbackAddress(), null}) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(
                        address == null
                                ? new InetSocketAddress(port)
                                : new InetSocketAddress(address, port));
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
