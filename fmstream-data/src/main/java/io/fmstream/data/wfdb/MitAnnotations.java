package io.fmstream.data.wfdb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WFDB annotation file in MIT format (annotation(5)), e.g. mitdb's {@code .atr} reference beat
 * and rhythm labels.
 *
 * <p>The file is a sequence of 16-bit little-endian words. The top 6 bits are the code A, the low
 * 10 bits the datum I. For A in 1..49 (an annotation), I is the number of frames since the previous
 * annotation. Pseudo-annotations then modify it: {@code SKIP} (59) is followed by a 32-bit interval
 * (high 16-bit word first, each word little-endian) added to the running time, which moves the
 * <em>next</em> annotation (intervals over 1023 frames); {@code NUM} (60) sets {@code num}, {@code
 * CHN} (62) sets {@code chan}, both for this and all later annotations; {@code SUB} (61) sets this
 * annotation's {@code subtyp}; {@code AUX} (63) is followed by I bytes of auxiliary text, padded to
 * an even length. A word of 0 ends the file. This follows {@code getann} in the WFDB library:
 * {@code subtyp} and {@code aux} reset for each annotation, {@code chan} and {@code num} persist.
 * Like WFDB's annotation structure, subtype and num are read as signed 8-bit values (so SUB 1023,
 * WFDB's "-1", reads as -1) and chan as unsigned 8-bit.
 *
 * <p>Sample numbers count frames at the record's (frame) sampling frequency.
 */
public final class MitAnnotations {

    private static final Logger LOG = LoggerFactory.getLogger(MitAnnotations.class);

    // Annotation codes (ecgcodes.h).
    public static final int NOTQRS = 0;
    public static final int NORMAL = 1;
    public static final int LBBB = 2;
    public static final int RBBB = 3;
    public static final int ABERR = 4;
    public static final int PVC = 5;
    public static final int FUSION = 6;
    public static final int NPC = 7;
    public static final int APC = 8;
    public static final int SVPB = 9;
    public static final int VESC = 10;
    public static final int NESC = 11;
    public static final int PACE = 12;
    public static final int UNKNOWN = 13;
    public static final int NOISE = 14;
    public static final int ARFCT = 16;
    public static final int STCH = 18;
    public static final int TCH = 19;
    public static final int SYSTOLE = 20;
    public static final int DIASTOLE = 21;
    public static final int NOTE = 22;
    public static final int MEASURE = 23;
    public static final int PWAVE = 24;
    public static final int BBB = 25;
    public static final int PACESP = 26;
    public static final int TWAVE = 27;
    public static final int RHYTHM = 28;
    public static final int UWAVE = 29;
    public static final int LEARN = 30;
    public static final int FLWAV = 31;
    public static final int VFON = 32;
    public static final int VFOFF = 33;
    public static final int AESC = 34;
    public static final int SVESC = 35;
    public static final int LINK = 36;
    public static final int NAPC = 37;
    public static final int PFUS = 38;
    public static final int WFON = 39;
    public static final int WFOFF = 40;
    public static final int RONT = 41;

    /** Largest valid annotation code; 42..49 are user-defined. */
    public static final int ACMAX = 49;

    // Pseudo-annotation codes (annotation(5)).
    public static final int SKIP = 59;
    public static final int NUM = 60;
    public static final int SUB = 61;
    public static final int CHN = 62;
    public static final int AUX = 63;

    /** Mnemonics as printed by rdann (annot.c's table), index = code. */
    private static final String[] MNEMONICS = {
        " ", "N", "L", "R", "a", "V", "F", "J", "A", "S",
        "E", "j", "/", "Q", "~", "[15]", "|", "[17]", "s", "T",
        "*", "D", "\"", "=", "p", "B", "^", "t", "+", "u",
        "?", "!", "[", "]", "e", "n", "@", "x", "f", "(",
        ")", "r", "[42]", "[43]", "[44]", "[45]", "[46]", "[47]", "[48]", "[49]"
    };

    /** WFDB's isqrs table (ecgmap.h), index = code: which codes mark a QRS complex (a beat). */
    private static final boolean[] IS_QRS = new boolean[ACMAX + 1];

    static {
        for (int c :
                new int[] {
                    NORMAL, LBBB, RBBB, ABERR, PVC, FUSION, NPC, APC, SVPB, VESC, NESC, PACE,
                    UNKNOWN, BBB, LEARN, FLWAV, AESC, SVESC, PFUS, RONT
                }) {
            IS_QRS[c] = true;
        }
    }

    /**
     * One annotation.
     *
     * @param sample frame number (at the record's sampling frequency)
     * @param code annotation code (1 = N, 5 = V, 8 = A, 28 = rhythm change, ...)
     * @param subtype WFDB {@code subtyp} (0 unless a SUB follows)
     * @param channel WFDB {@code chan} (persists until the next CHN)
     * @param num WFDB {@code num} (persists until the next NUM)
     * @param aux auxiliary text without trailing NULs (rhythm "(N", "(AFIB"), or {@code null}
     */
    public record Annotation(long sample, int code, int subtype, int channel, int num, String aux) {

        public String mnemonic() {
            return MitAnnotations.mnemonic(code);
        }

        public boolean isBeat() {
            return MitAnnotations.isBeat(code);
        }

        /** Time in seconds at {@code frequency} frames per second. */
        public double seconds(double frequency) {
            return sample / frequency;
        }
    }

    private final Path path;
    private final List<Annotation> annotations;

    private MitAnnotations(Path path, List<Annotation> annotations) {
        this.path = path;
        this.annotations = List.copyOf(annotations);
    }

    /**
     * Reads an MIT-format annotation file.
     *
     * @throws WfdbException naming the file when it is missing, unreadable or malformed
     */
    public static MitAnnotations read(Path file) {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new WfdbException(file, "annotation file not found", e);
        } catch (IOException e) {
            throw new WfdbException(file, "cannot read annotation file: " + e, e);
        }
        return new MitAnnotations(file, decode(file, b));
    }

    private static List<Annotation> decode(Path file, byte[] b) {
        List<Annotation> out = new ArrayList<>();
        long time = 0; // running time in frames
        // chan and num persist from one annotation to the next, and a CHN/NUM after an
        // annotation applies to it too: so an annotation takes the values current when the next
        // annotation (or the end) arrives.
        int chan = 0;
        int num = 0;
        // The annotation being assembled (curCode < 0: none yet); pseudo-annotations that follow
        // it still modify it.
        long curTime = 0;
        int curCode = -1;
        int curSub = 0;
        String curAux = null;
        int pos = 0;
        boolean terminated = false;
        while (pos + 1 < b.length) {
            int word = (b[pos] & 0xff) | ((b[pos + 1] & 0xff) << 8);
            int at = pos;
            pos += 2;
            if (word == 0) {
                terminated = true;
                break;
            }
            int code = word >>> 10;
            int data = word & 0x3ff;
            switch (code) {
                case SKIP -> {
                    if (pos + 4 > b.length) {
                        throw new WfdbException(
                                file, "truncated SKIP at byte " + at + ": needs 4 more bytes");
                    }
                    int hi = (b[pos] & 0xff) | ((b[pos + 1] & 0xff) << 8);
                    int lo = (b[pos + 2] & 0xff) | ((b[pos + 3] & 0xff) << 8);
                    time += (hi << 16) | lo; // signed 32-bit, high word first (PDP-11 order)
                    pos += 4;
                }
                case NUM -> num = (byte) data;
                case CHN -> chan = data & 0xff;
                case SUB -> {
                    if (curCode < 0) {
                        throw new WfdbException(
                                file, "SUB at byte " + at + " before any annotation");
                    }
                    curSub = (byte) data;
                }
                case AUX -> {
                    if (curCode < 0) {
                        throw new WfdbException(
                                file, "AUX at byte " + at + " before any annotation");
                    }
                    if (pos + data > b.length) {
                        throw new WfdbException(
                                file,
                                "truncated AUX at byte "
                                        + at
                                        + ": "
                                        + data
                                        + " bytes announced, "
                                        + (b.length - pos)
                                        + " left");
                    }
                    int len = data;
                    while (len > 0 && b[pos + len - 1] == 0) {
                        len--; // writers often count a terminating NUL ("(N\0")
                    }
                    curAux = new String(b, pos, len, StandardCharsets.ISO_8859_1);
                    pos += data + (data & 1); // odd lengths are padded to keep words aligned
                }
                default -> {
                    if (curCode >= 0) {
                        out.add(new Annotation(curTime, curCode, curSub, chan, num, curAux));
                    }
                    time += data;
                    curTime = time;
                    curCode = code;
                    curSub = 0;
                    curAux = null;
                }
            }
        }
        if (curCode >= 0) {
            out.add(new Annotation(curTime, curCode, curSub, chan, num, curAux));
        }
        if (!terminated) {
            // WFDB reports this as "unexpected EOF" after returning the annotations read; the
            // annotations themselves are complete, so keep them and say so.
            LOG.warn(
                    "{}: annotation file ends without its 0 end marker ({} bytes); {} annotations"
                            + " read",
                    file,
                    b.length,
                    out.size());
        }
        return out;
    }

    /** The file read. */
    public Path path() {
        return path;
    }

    /** All annotations in file order. */
    public List<Annotation> annotations() {
        return annotations;
    }

    /** The beat (QRS) annotations, per {@link #isBeat(int)}. */
    public List<Annotation> beats() {
        return annotations.stream().filter(Annotation::isBeat).toList();
    }

    /** The rhythm-change annotations (code {@link #RHYTHM}). */
    public List<Annotation> rhythmChanges() {
        return annotations.stream().filter(a -> a.code() == RHYTHM).toList();
    }

    /** Number of annotations per mnemonic, sorted by mnemonic. */
    public Map<String, Integer> countByMnemonic() {
        Map<String, Integer> counts = new TreeMap<>();
        for (Annotation a : annotations) {
            counts.merge(a.mnemonic(), 1, Integer::sum);
        }
        return counts;
    }

    /** Number of annotations with {@code code}. */
    public int count(int code) {
        return (int) annotations.stream().filter(a -> a.code() == code).count();
    }

    /**
     * rdann's mnemonic for a code: "N", "V", "A", "+" for a rhythm change, "[n]" for codes without
     * one.
     */
    public static String mnemonic(int code) {
        return code >= 0 && code <= ACMAX ? MNEMONICS[code] : "[" + code + "]";
    }

    /**
     * Whether {@code code} marks a QRS complex, per WFDB's {@code isqrs} (ecgmap.h): N, L, R, a, V,
     * F, J, A, S, E, j, /, Q, B, ?, !, e, n, f, r (codes 1-13, 25, 30, 31, 34, 35, 38, 41).
     */
    public static boolean isBeat(int code) {
        return code > 0 && code <= ACMAX && IS_QRS[code];
    }

    @Override
    public String toString() {
        return "MitAnnotations["
                + path
                + ": "
                + annotations.size()
                + " annotations "
                + countByMnemonic()
                + "]";
    }
}
