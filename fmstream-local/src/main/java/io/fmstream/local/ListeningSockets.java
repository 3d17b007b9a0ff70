package io.fmstream.local;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The TCP sockets a process listens on, read from Linux's {@code /proc} (no {@code ss} or {@code
 * netstat} needed): the process's socket inodes from {@code /proc/<pid>/fd}, matched against the
 * LISTEN entries of {@code /proc/net/tcp} and {@code tcp6}. Used to check that a deployment binds
 * nothing beyond loopback.
 */
public final class ListeningSockets {

    /** A listening socket: local address as printed (e.g. {@code 127.0.0.1:9092}). */
    public record Listener(long pid, String address, boolean loopback) {}

    private ListeningSockets() {}

    /** Whether {@code /proc} can be read for this purpose (Linux). */
    public static boolean supported() {
        return Files.isReadable(Path.of("/proc/net/tcp"));
    }

    /** Every TCP socket {@code pid} listens on. */
    public static List<Listener> of(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds =
                Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        List<Listener> out = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Path.of(table);
            if (!Files.isReadable(p)) {
                continue;
            }
            List<String> lines = Files.readAllLines(p);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                if (f.length < 10 || !f[3].equals("0A") || !inodes.contains(f[9])) {
                    continue;
                }
                out.add(decode(pid, f[1]));
            }
        }
        return out;
    }

    private static Listener decode(long pid, String hexAddress) {
        String[] hp = hexAddress.split(":");
        int port = Integer.parseInt(hp[1], 16);
        String h = hp[0];
        if (h.length() == 8) {
            // IPv4, little-endian bytes.
            int a = (int) Long.parseLong(h, 16);
            String ip =
                    (a & 0xff)
                            + "."
                            + ((a >> 8) & 0xff)
                            + "."
                            + ((a >> 16) & 0xff)
                            + "."
                            + ((a >>> 24));
            return new Listener(pid, ip + ":" + port, (a & 0xff) == 127);
        }
        // IPv6: four little-endian 32-bit words.
        boolean loopback = h.equals("00000000000000000000000001000000");
        boolean v4MappedLoopback = h.startsWith("0000000000000000FFFF0000") && h.endsWith("7F");
        return new Listener(pid, "[" + h + "]:" + port, loopback || v4MappedLoopback);
    }
}
