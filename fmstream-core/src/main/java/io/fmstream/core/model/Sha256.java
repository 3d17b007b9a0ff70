package io.fmstream.core.model;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** SHA-256 as lower-case hex, the form the manifest and the wire records use. */
public final class Sha256 {

    static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

    private Sha256() {}

    public static String hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            // Every Java SE implementation must provide SHA-256; reaching this is a broken JRE.
            throw new IllegalStateException("SHA-256 not available", e);
        }
    }

    /** SHA-256 of a file, read in blocks (a dataset can be hundreds of MB). */
    public static String hex(java.nio.file.Path file) throws java.io.IOException {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] block = new byte[1 << 20];
            for (int n; (n = in.read(block)) > 0; ) {
                digest.update(block, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 not available", e);
        }
    }

    /** First 12 hex digits, enough to tell hashes apart in log lines. */
    static String abbrev(String sha256) {
        return sha256 == null || sha256.length() <= 12
                ? String.valueOf(sha256)
                : sha256.substring(0, 12);
    }
}
