package io.fmstream.core.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fmstream.core.signal.WindowNormaliser;
import io.fmstream.schemas.SignalType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The parsed, validated {@code manifest.json} of a model bundle: what the encoder expects (sample
 * rate, window, normalisation, tensor names and sizes), which heads sit on it, and the sha256 of
 * every file. Immutable.
 *
 * <p>Parsing checks the manifest on its own (required fields, types, kinds, labels, hash format,
 * safe relative paths, consistency of window length and input length) and reports every problem
 * found in one {@link BundleException}. Checks that need the files (hashes, tensor shapes) are made
 * by {@link ModelBundle#load}.
 */
public final class BundleManifest {

    /** The manifest's path inside a bundle. */
    public static final String FILE_NAME = "manifest.json";

    private static final ObjectMapper MAPPER =
            new ObjectMapper()
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Pattern TASK = Pattern.compile("[a-z][a-z0-9_]*");

    private final String bundleId;
    private final String version;
    private final boolean fixture;
    private final String signalType;
    private final int inputSampleRateHz;
    private final double windowSeconds;
    private final double hopSeconds;
    private final String normalisation;
    private final String preprocessingId;
    private final EncoderSpec encoder;
    private final List<HeadSpec> heads;
    private final Map<String, Object> provenance;
    private final Map<String, Object> metrics;

    private BundleManifest(Builder b) {
        this.bundleId = b.bundleId;
        this.version = b.version;
        this.fixture = b.fixture;
        this.signalType = b.signalType;
        this.inputSampleRateHz = b.inputSampleRateHz;
        this.windowSeconds = b.windowSeconds;
        this.hopSeconds = b.hopSeconds;
        this.normalisation = b.normalisation;
        this.preprocessingId = b.preprocessingId;
        this.encoder = b.encoder;
        this.heads = List.copyOf(b.heads);
        this.provenance = b.provenance;
        this.metrics = b.metrics;
    }

    /**
     * The shared encoder: file, hash, tensor names and sizes. {@code quantizedFrom} is the sha256
     * of the float32 encoder this one was quantised from ({@code null} for an encoder that was
     * not): heads trained on that encoder's embeddings serve this one's, which stay within cosine
     * 0.99 of them (checked when the quantised bundle is made and by its tests).
     */
    public record EncoderSpec(
            String name,
            String version,
            String file,
            String sha256,
            String inputName,
            String outputName,
            int inputLength,
            int embeddingDim,
            String quantizedFrom) {

        /** Whether a head trained on encoder {@code sha256} may read this encoder's embeddings. */
        public boolean serves(String headEncoderSha256) {
            return sha256.equals(headEncoderSha256) || headEncoderSha256.equals(quantizedFrom);
        }
    }

    /**
     * One downstream head. {@code labels} is empty for regression heads and {@code unit} is {@code
     * null} for classification heads. {@code encoderSha256} is the encoder the head was trained on.
     * {@code format} says how {@code file} is evaluated ({@code null} is read as {@link
     * HeadFormat#ONNX}); {@code inputName} and {@code outputName} name the ONNX model's tensors and
     * may be {@code null} for a {@link HeadFormat#LINEAR} head, which has none.
     */
    public record HeadSpec(
            String task,
            String name,
            String version,
            String file,
            String sha256,
            HeadKind kind,
            List<String> labels,
            String unit,
            String inputName,
            String outputName,
            int outputDim,
            String encoderSha256,
            HeadFormat format) {

        public HeadSpec {
            labels = labels == null ? List.of() : List.copyOf(labels);
            format = format == null ? HeadFormat.ONNX : format;
        }
    }

    /** Parses and validates manifest bytes; see {@link #parse(byte[], String)}. */
    public static BundleManifest parse(byte[] json) {
        return parse(json, null);
    }

    /**
     * Parses and validates manifest bytes.
     *
     * @param location where the bundle lives, only for messages (may be {@code null})
     * @throws BundleException naming {@code manifest.json} and every problem found
     */
    public static BundleManifest parse(byte[] json, String location) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new BundleException(
                    FILE_NAME, "not valid JSON: " + e.getOriginalMessage(), location, e);
        } catch (IOException e) {
            throw new BundleException(FILE_NAME, "cannot be read: " + e, location, e);
        }
        if (root == null || !root.isObject()) {
            throw new BundleException(
                    FILE_NAME, "expected a JSON object at the top level", location);
        }
        Checker c = new Checker();
        Builder b = new Builder();
        b.bundleId = c.text(root, "", "bundleId");
        b.version = c.text(root, "", "version");
        b.fixture = c.optionalBoolean(root, "", "fixture");
        b.signalType = c.text(root, "", "signalType");
        b.inputSampleRateHz = c.positiveInt(root, "", "inputSampleRateHz");
        b.windowSeconds = c.positiveNumber(root, "", "windowSeconds");
        b.hopSeconds = c.positiveNumber(root, "", "hopSeconds");
        b.normalisation = c.text(root, "", "normalisation");
        b.preprocessingId = c.text(root, "", "preprocessingId");
        // Fields the job acts on must name something it implements: refused here with the reason,
        // not parsed and then ignored.
        if (b.signalType != null
                && Arrays.stream(SignalType.values())
                        .noneMatch(t -> t.name().equals(b.signalType))) {
            c.problem(
                    "signalType: "
                            + b.signalType
                            + " is not a signal type of the SensorChunk schema "
                            + Arrays.toString(SignalType.values()));
        }
        if (b.normalisation != null
                && !WindowNormaliser.PER_WINDOW_ZSCORE.equals(b.normalisation)) {
            c.problem(
                    "normalisation: "
                            + b.normalisation
                            + " is not implemented by this job (supported: "
                            + WindowNormaliser.PER_WINDOW_ZSCORE
                            + ")");
        }
        // The preprocessing the encoder was trained behind, by name: the job implements one, the
        // Kaiser windowed-sinc resampler to the bundle's rate, then the per-window z-score. A
        // bundle trained behind another (a polyphase resampler, a band-pass) was served through
        // this one without a word.
        String implemented =
                "resample-" + b.inputSampleRateHz + "hz-sinc/" + WindowNormaliser.PER_WINDOW_ZSCORE;
        if (b.preprocessingId != null
                && b.inputSampleRateHz > 0
                && !implemented.equals(b.preprocessingId)) {
            c.problem(
                    "preprocessingId: "
                            + b.preprocessingId
                            + " is not the preprocessing this job implements for the bundle's"
                            + " rate ("
                            + implemented
                            + ")");
        }
        if (b.hopSeconds > 0 && b.windowSeconds > 0 && b.hopSeconds > b.windowSeconds) {
            c.problem(
                    "hopSeconds: "
                            + fmt(b.hopSeconds)
                            + " exceeds windowSeconds "
                            + fmt(b.windowSeconds));
        }
        b.encoder = parseEncoder(c, root);
        if (b.encoder != null && b.inputSampleRateHz > 0 && b.windowSeconds > 0) {
            double samples = b.inputSampleRateHz * b.windowSeconds;
            if (Math.abs(samples - b.encoder.inputLength()) > 1e-6) {
                c.problem(
                        "encoder.inputLength: "
                                + b.encoder.inputLength()
                                + " does not match inputSampleRateHz "
                                + b.inputSampleRateHz
                                + " x windowSeconds "
                                + fmt(b.windowSeconds)
                                + " = "
                                + fmt(samples));
            }
        }
        b.heads = parseHeads(c, root, b.encoder);
        b.provenance = c.optionalObject(root, "", "provenance");
        b.metrics = c.optionalObject(root, "", "metrics");
        if (!c.problems.isEmpty()) {
            String reason =
                    c.problems.size() == 1
                            ? c.problems.get(0)
                            : c.problems.size() + " problems: " + String.join("; ", c.problems);
            throw new BundleException(FILE_NAME, reason, location);
        }
        return new BundleManifest(b);
    }

    private static EncoderSpec parseEncoder(Checker c, JsonNode root) {
        JsonNode node = c.object(root, "", "encoder");
        if (node == null) {
            return null;
        }
        String p = "encoder.";
        int problemsBefore = c.problems.size();
        EncoderSpec spec =
                new EncoderSpec(
                        c.text(node, p, "name"),
                        c.text(node, p, "version"),
                        c.relativeFile(node, p, "file"),
                        c.sha256(node, p, "sha256"),
                        c.text(node, p, "inputName"),
                        c.text(node, p, "outputName"),
                        c.positiveInt(node, p, "inputLength"),
                        c.positiveInt(node, p, "embeddingDim"),
                        node.hasNonNull("quantizedFrom")
                                ? c.sha256(node, p, "quantizedFrom")
                                : null);
        return c.problems.size() == problemsBefore ? spec : null;
    }

    private static List<HeadSpec> parseHeads(Checker c, JsonNode root, EncoderSpec encoder) {
        JsonNode array = root.get("heads");
        if (array == null || array.isNull()) {
            c.problem("heads: missing (use [] for a bundle without heads)");
            return List.of();
        }
        if (!array.isArray()) {
            c.problem("heads: expected an array, got " + array.getNodeType());
            return List.of();
        }
        List<HeadSpec> heads = new ArrayList<>();
        Set<String> tasks = new HashSet<>();
        Set<String> files = new HashSet<>();
        if (encoder != null) {
            files.add(encoder.file());
        }
        for (int i = 0; i < array.size(); i++) {
            JsonNode node = array.get(i);
            String where = "heads[" + i + "]";
            if (!node.isObject()) {
                c.problem(where + ": expected an object, got " + node.getNodeType());
                continue;
            }
            int problemsBefore = c.problems.size();
            String task = c.text(node, where + ".", "task");
            if (task != null) {
                where += " (task '" + task + "')";
                if (!TASK.matcher(task).matches()) {
                    c.problem(where + ".task: must match " + TASK.pattern());
                } else if (!tasks.add(task)) {
                    c.problem(where + ".task: duplicate task; each task may appear once");
                }
            }
            String p = where + ".";
            String name = c.text(node, p, "name");
            String version = c.text(node, p, "version");
            String file = c.relativeFile(node, p, "file");
            if (file != null && !files.add(file)) {
                c.problem(
                        p + "file: '" + file + "' is already used by another model of this bundle");
            }
            String sha256 = c.sha256(node, p, "sha256");
            HeadKind kind = null;
            String kindText = c.text(node, p, "kind");
            if (kindText != null) {
                kind = HeadKind.fromManifestName(kindText);
                if (kind == null) {
                    c.problem(
                            p
                                    + "kind: unknown kind '"
                                    + kindText
                                    + "' (expected classification or regression)");
                }
            }
            HeadFormat format = HeadFormat.ONNX;
            String formatText = c.optionalText(node, p, "format");
            if (formatText != null) {
                format = HeadFormat.fromManifestName(formatText);
                if (format == null) {
                    c.problem(
                            p
                                    + "format: unknown format '"
                                    + formatText
                                    + "' (expected onnx or linear)");
                }
            }
            // Only an ONNX model has tensors to name; a linear head is a matrix in a JSON file.
            boolean tensorNames = format == HeadFormat.ONNX;
            String inputName =
                    tensorNames
                            ? c.text(node, p, "inputName")
                            : c.optionalText(node, p, "inputName");
            String outputName =
                    tensorNames
                            ? c.text(node, p, "outputName")
                            : c.optionalText(node, p, "outputName");
            int outputDim = c.positiveInt(node, p, "outputDim");
            String encoderSha256 = c.sha256(node, p, "encoderSha256");
            List<String> labels = List.of();
            String unit = null;
            if (kind == HeadKind.CLASSIFICATION) {
                labels = c.labels(node, p, outputDim);
                if (node.has("unit")) {
                    c.problem(p + "unit: only regression heads have a unit");
                }
            } else if (kind == HeadKind.REGRESSION) {
                unit = c.text(node, p, "unit");
                if (node.has("labels")) {
                    c.problem(p + "labels: only classification heads have labels");
                }
                if (outputDim > 1) {
                    c.problem(
                            p + "outputDim: a regression head outputs one value, got " + outputDim);
                }
            }
            if (c.problems.size() == problemsBefore) {
                heads.add(
                        new HeadSpec(
                                task,
                                name,
                                version,
                                file,
                                sha256,
                                kind,
                                labels,
                                unit,
                                inputName,
                                outputName,
                                outputDim,
                                encoderSha256,
                                format));
            }
        }
        return heads;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15
                ? Long.toString((long) d)
                : Double.toString(d);
    }

    public String bundleId() {
        return bundleId;
    }

    public String version() {
        return version;
    }

    /** True for test fixtures (random weights); the loader warns when one is loaded. */
    public boolean fixture() {
        return fixture;
    }

    public String signalType() {
        return signalType;
    }

    /** Sample rate the encoder expects after resampling. */
    public int inputSampleRateHz() {
        return inputSampleRateHz;
    }

    public double windowSeconds() {
        return windowSeconds;
    }

    public double hopSeconds() {
        return hopSeconds;
    }

    /**
     * {@link #hopSeconds()} as a duration: the job's window hop unless {@code fmstream.window.hop}
     * overrides it.
     */
    public java.time.Duration hop() {
        return java.time.Duration.ofNanos(Math.round(hopSeconds * 1e9));
    }

    /** How windows are normalised before the encoder, e.g. {@code per-window-zscore}. */
    public String normalisation() {
        return normalisation;
    }

    /** Identifies the whole preprocessing chain the encoder was trained with. */
    public String preprocessingId() {
        return preprocessingId;
    }

    public EncoderSpec encoder() {
        return encoder;
    }

    /** Heads in manifest order. */
    public List<HeadSpec> heads() {
        return heads;
    }

    public Optional<HeadSpec> head(String task) {
        return heads.stream().filter(h -> h.task().equals(task)).findFirst();
    }

    /** Free-form provenance (script, library versions, seeds); deeply unmodifiable. */
    public Map<String, Object> provenance() {
        return provenance;
    }

    /** Free-form evaluation metrics; deeply unmodifiable, empty for fixtures. */
    public Map<String, Object> metrics() {
        return metrics;
    }

    @Override
    public String toString() {
        return "BundleManifest["
                + bundleId
                + " "
                + version
                + (fixture ? " (FIXTURE)" : "")
                + ", "
                + signalType
                + " @"
                + inputSampleRateHz
                + " Hz, window "
                + fmt(windowSeconds)
                + " s, hop "
                + fmt(hopSeconds)
                + " s, "
                + normalisation
                + ", encoder "
                + encoder.name()
                + " "
                + encoder.version()
                + " sha256 "
                + Sha256.abbrev(encoder.sha256())
                + ", heads "
                + heads.stream().map(HeadSpec::task).toList()
                + "]";
    }

    private static final class Builder {
        String bundleId;
        String version;
        boolean fixture;
        String signalType;
        int inputSampleRateHz;
        double windowSeconds;
        double hopSeconds;
        String normalisation;
        String preprocessingId;
        EncoderSpec encoder;
        List<HeadSpec> heads = List.of();
        Map<String, Object> provenance = Map.of();
        Map<String, Object> metrics = Map.of();
    }

    /** Reads typed fields and collects every problem, so one refusal lists them all. */
    private static final class Checker {
        final List<String> problems = new ArrayList<>();

        void problem(String message) {
            problems.add(message);
        }

        private JsonNode present(JsonNode obj, String prefix, String field) {
            JsonNode n = obj.get(field);
            if (n == null || n.isNull()) {
                problem(prefix + field + ": missing");
                return null;
            }
            return n;
        }

        String text(JsonNode obj, String prefix, String field) {
            JsonNode n = present(obj, prefix, field);
            if (n == null) {
                return null;
            }
            if (!n.isTextual()) {
                problem(prefix + field + ": expected a string, got " + n.getNodeType());
                return null;
            }
            if (n.textValue().isBlank()) {
                problem(prefix + field + ": must not be empty");
                return null;
            }
            return n.textValue();
        }

        /**
         * Like {@link #text} for a field that may be absent (or null): then {@code null}, no
         * problem.
         */
        String optionalText(JsonNode obj, String prefix, String field) {
            JsonNode n = obj.get(field);
            return n == null || n.isNull() ? null : text(obj, prefix, field);
        }

        int positiveInt(JsonNode obj, String prefix, String field) {
            JsonNode n = present(obj, prefix, field);
            if (n == null) {
                return 0;
            }
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                problem(prefix + field + ": expected an integer, got " + n);
                return 0;
            }
            if (n.intValue() <= 0) {
                problem(prefix + field + ": must be positive, got " + n.intValue());
                return 0;
            }
            return n.intValue();
        }

        double positiveNumber(JsonNode obj, String prefix, String field) {
            JsonNode n = present(obj, prefix, field);
            if (n == null) {
                return 0;
            }
            if (!n.isNumber() || !Double.isFinite(n.doubleValue())) {
                problem(prefix + field + ": expected a number, got " + n);
                return 0;
            }
            if (n.doubleValue() <= 0) {
                problem(prefix + field + ": must be positive, got " + n);
                return 0;
            }
            return n.doubleValue();
        }

        boolean optionalBoolean(JsonNode obj, String prefix, String field) {
            JsonNode n = obj.get(field);
            if (n == null || n.isNull()) {
                return false;
            }
            if (!n.isBoolean()) {
                problem(prefix + field + ": expected true or false, got " + n);
                return false;
            }
            return n.booleanValue();
        }

        String sha256(JsonNode obj, String prefix, String field) {
            String s = text(obj, prefix, field);
            if (s != null && !Sha256.HEX.matcher(s).matches()) {
                problem(prefix + field + ": '" + s + "' is not 64 lower-case hex digits");
                return null;
            }
            return s;
        }

        String relativeFile(JsonNode obj, String prefix, String field) {
            String s = text(obj, prefix, field);
            if (s == null) {
                return null;
            }
            // Bundles are copied between file systems and object stores: only plain relative
            // forward-slash paths mean the same thing everywhere.
            boolean bad =
                    s.startsWith("/") || s.contains("\\") || s.contains(":") || s.endsWith("/");
            for (String part : s.split("/", -1)) {
                bad |= part.isEmpty() || part.equals(".") || part.equals("..");
            }
            if (bad) {
                problem(
                        prefix
                                + field
                                + ": '"
                                + s
                                + "' must be a relative path inside the bundle"
                                + " (forward slashes, no '.', '..' or empty segments)");
                return null;
            }
            return s;
        }

        JsonNode object(JsonNode obj, String prefix, String field) {
            JsonNode n = present(obj, prefix, field);
            if (n != null && !n.isObject()) {
                problem(prefix + field + ": expected an object, got " + n.getNodeType());
                return null;
            }
            return n;
        }

        Map<String, Object> optionalObject(JsonNode obj, String prefix, String field) {
            JsonNode n = obj.get(field);
            if (n == null || n.isNull()) {
                return Map.of();
            }
            if (!n.isObject()) {
                problem(prefix + field + ": expected an object, got " + n.getNodeType());
                return Map.of();
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> map = (Map<String, Object>) immutable(n);
            return map;
        }

        List<String> labels(JsonNode obj, String prefix, int outputDim) {
            JsonNode n = obj.get("labels");
            if (n == null || n.isNull()) {
                problem(
                        prefix
                                + "labels: missing; a classification head needs one label per"
                                + " output");
                return List.of();
            }
            if (!n.isArray() || n.isEmpty()) {
                problem(prefix + "labels: expected a non-empty array of strings, got " + n);
                return List.of();
            }
            List<String> labels = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (JsonNode label : n) {
                if (!label.isTextual() || label.textValue().isBlank()) {
                    problem(prefix + "labels: expected non-empty strings, got " + label);
                    return List.of();
                }
                if (!seen.add(label.textValue())) {
                    problem(prefix + "labels: duplicate label '" + label.textValue() + "'");
                }
                labels.add(label.textValue());
            }
            if (outputDim > 0 && labels.size() != outputDim) {
                problem(
                        prefix
                                + "labels: "
                                + labels.size()
                                + " labels but outputDim is "
                                + outputDim);
            }
            return labels;
        }

        private static Object immutable(JsonNode n) {
            if (n.isObject()) {
                Map<String, Object> map = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> e : n.properties()) {
                    map.put(e.getKey(), immutable(e.getValue()));
                }
                return Collections.unmodifiableMap(map);
            }
            if (n.isArray()) {
                List<Object> list = new ArrayList<>();
                n.forEach(element -> list.add(immutable(element)));
                return Collections.unmodifiableList(list);
            }
            if (n.isNull()) {
                return null;
            }
            if (n.isNumber()) {
                return n.numberValue();
            }
            if (n.isBoolean()) {
                return n.booleanValue();
            }
            return n.asText();
        }
    }
}
