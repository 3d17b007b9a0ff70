package io.fmstream.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {

    @Test
    void readsTheKernelsEphemeralRange() throws Exception {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        assumeTrue(Files.exists(range), "no /proc/sys here");
        // One read into a buffer larger than the file: what the kernel says, independently of
        // how FreePorts reads it (a one-byte first read once gave "3").
        byte[] buffer = new byte[256];
        int n;
        try (InputStream in = new FileInputStream(range.toFile())) {
            n = in.read(buffer);
        }
        String text = new String(buffer, 0, n, StandardCharsets.US_ASCII).trim();
        int first = Integer.parseInt(text.split("\\s+")[0]);
        assertThat(first).as("the range %s", text).isGreaterThanOrEqualTo(1024);
        assertThat(FreePorts.ephemeralLow()).isEqualTo(first);
    }

    @Test
    void portsAreDistinctBindableAndOutsideTheEphemeralRange() throws Exception {
        int ephemeralLow = FreePorts.ephemeralLow();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int port = FreePorts.pick();
            assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
            if (ephemeralLow - FreePorts.LOW >= 1000) {
                // Outgoing connections draw their local port from the ephemeral range only.
                assertThat(port).isBetween(FreePorts.LOW, ephemeralLow - 1);
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
        }
    }
}
