package io.fmstream.core.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A downstream head that is a single linear layer, {@code y = activation(W x + b)}: a logistic
 * regression (softmax over the classes) or a ridge regression (identity, one value) on the
 * encoder's embeddings. Stored in a bundle as a small JSON file (manifest {@code "format":
 * "linear"}) and evaluated in plain Java. Immutable, hence thread-safe.
 *
 * <p>Why not ONNX like the other heads: for one layer, one batched matrix multiply in Java costs
 * less than an ONNX Runtime call per batch (no tensor wrapping, no native call, no output copy),
 * and the file can be written by the JVM that fitted the weights, with no Python or ONNX tooling.
 *
 * <p>The file (UTF-8 JSON, every field required, no others allowed):
 *
 * <pre>{@code
 * {
 *   "format": "fmstream-linear-head/1",
 *   "inputDim": 256,
 *   "outputDim": 3,
 *   "activation": "softmax",
 *   "weights": [[...inputDim numbers...], ...outputDim rows...],
 *   "bias": [...outputDim numbers...]
 * }
 * }</pre>
 *
 * {@code weights[k]} holds output k's weights; {@code activation} is {@code softmax} or {@code
 * identity}. Numbers are read as float32 (correctly rounded) and must be finite.
 *
 * <p>{@link #toJson()} writes that layout byte for byte deterministically (fixed field order and
 * spacing, each float in the shortest decimal that reads back as the same float, in the layout of
 * {@link Float#toString(float)}), so equal heads have equal bytes and equal sha256, and {@code
 * parse(toJson())} gives back the same float bits. Negative zero is stored as zero.
 *
 * <p>Evaluation accumulates in double and rounds each output to float once; softmax subtracts the
 * row's largest logit first, so it never overflows.
 */
public final class LinearHead {

    /** The value of the file's {@code format} field; a later layout would get a new number. */
    public static final String FORMAT = "fmstream-linear-head/1";

    private static final ObjectMapper MAPPER =
            new ObjectMapper()
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    // Keeps each number's exact decimal, so it is rounded to float once, not via
                    // double.
                    .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private static final Set<String> FIELDS =
            Set.of("format", "inputDim", "outputDim", "activation", "weights", "bias");

    /** What the layer applies to {@code W x + b}. */
    public enum Activation {
        /** Class probabilities; the activation of classification heads. */
        SOFTMAX,
        /** The value itself; the activation of regression heads. */
        IDENTITY;

        /** The spelling used in the file. */
        public String fileName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The activation a head of {@code kind} must have. */
        public static Activation forKind(HeadKind kind) {
            return kind == HeadKind.CLASSIFICATION ? SOFTMAX : IDENTITY;
        }

        static Activation fromFileName(String text) {
            for (Activation a : values()) {
                if (a.fileName().equals(text)) {
                    return a;
                }
            }
            return null;
        }
    }

    private final int inputDim;
    private final int outputDim;
    private final Activation activation;
    private final float[] weights; // row-major [outputDim][inputDim]
    private final float[] bias;

    private LinearHead(
            int inputDim, int outputDim, Activation activation, float[] weights, float[] bias) {
        this.inputDim = inputDim;
        this.outputDim = outputDim;
        this.activation = activation;
        this.weights = weights;
        this.bias = bias;
    }

    /**
     * A head from fitted weights (copied).
     *
     * @param weights outputDim rows of inputDim finite values; row k holds output k's weights
     * @param bias outputDim finite values
     * @throws IllegalArgumentException when an array is null, empty, ragged, of the wrong size or
     *     holds a non-finite value
     */
    public static LinearHead of(float[][] weights, float[] bias, Activation activation) {
        Objects.requireNonNull(activation, "activation");
        if (weights == null || weights.length == 0) {
            throw new IllegalArgumentException("weights must have at least one row");
        }
        if (weights[0] == null || weights[0].length == 0) {
            throw new IllegalArgumentException("weights[0] must have at least one value");
        }
        int out = weights.length;
        int in = weights[0].length;
        if (bias == null || bias.length != out) {
            throw new IllegalArgumentException(
                    "bias has "
                            + (bias == null ? "no" : bias.length)
                            + " values but weights has "
                            + out
                            + " rows");
        }
        float[] w = new float[out * in];
        for (int k = 0; k < out; k++) {
            if (weights[k] == null || weights[k].length != in) {
                throw new IllegalArgumentException(
                        "weights["
                                + k
                                + "] has "
                                + (weights[k] == null ? "no" : weights[k].length)
                                + " values but weights[0] has "
                                + in);
            }
            for (int j = 0; j < in; j++) {
                w[k * in + j] = finite(weights[k][j], "weights[" + k + "][" + j + "]");
            }
        }
        float[] b = new float[out];
        for (int k = 0; k < out; k++) {
            b[k] = finite(bias[k], "bias[" + k + "]");
        }
        return new LinearHead(in, out, activation, w, b);
    }

    private static float finite(float value, String where) {
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException(
                    where + " is " + value + "; weights and bias must be finite");
        }
        return value == 0f ? 0f : value; // -0 -> +0: same results, one spelling in the file
    }

    /**
     * Parses and validates a linear head file.
     *
     * @param file the file's name, for messages, e.g. {@code heads/af_vs_rest.json}
     * @throws BundleException naming {@code file} and what is wrong with it
     */
    public static LinearHead parse(byte[] json, String file) {
        return parse(json, file, null);
    }

    /**
     * {@link #parse(byte[], String)} with the bundle's location for messages (may be {@code null}).
     */
    static LinearHead parse(byte[] json, String file, String location) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new BundleException(
                    file, "not valid JSON: " + e.getOriginalMessage(), location, e);
        } catch (IOException e) {
            throw new BundleException(file, "cannot be read: " + e, location, e);
        }
        if (root == null || !root.isObject()) {
            throw new BundleException(file, "expected a JSON object at the top level", location);
        }
        try {
            return fromTree(root);
        } catch (IllegalArgumentException e) {
            throw new BundleException(file, e.getMessage(), location);
        }
    }

    /** Reads a parsed file; IllegalArgumentException carries the reason, without the file name. */
    private static LinearHead fromTree(JsonNode root) {
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException(
                        "unknown field '"
                                + name
                                + "' (a linear head has format, inputDim, outputDim, activation,"
                                + " weights and bias)");
            }
        }
        JsonNode format = required(root, "format");
        if (!format.isTextual() || !format.textValue().equals(FORMAT)) {
            throw new IllegalArgumentException("format: expected '" + FORMAT + "', got " + format);
        }
        int inputDim = positiveInt(root, "inputDim");
        int outputDim = positiveInt(root, "outputDim");
        JsonNode activationNode = required(root, "activation");
        Activation activation =
                activationNode.isTextual()
                        ? Activation.fromFileName(activationNode.textValue())
                        : null;
        if (activation == null) {
            String got =
                    activationNode.isTextual()
                            ? "'" + activationNode.textValue() + "'"
                            : activationNode.toString();
            throw new IllegalArgumentException(
                    "activation: unknown activation " + got + " (expected softmax or identity)");
        }
        JsonNode rows = array(root, "weights", "weights", outputDim, "outputDim");
        float[] w = new float[outputDim * inputDim];
        for (int k = 0; k < outputDim; k++) {
            floats(
                    array(rows, k, "weights[" + k + "]", inputDim, "inputDim"),
                    "weights[" + k + "]",
                    w,
                    k * inputDim);
        }
        float[] b = new float[outputDim];
        floats(array(root, "bias", "bias", outputDim, "outputDim"), "bias", b, 0);
        return new LinearHead(inputDim, outputDim, activation, w, b);
    }

    private static JsonNode required(JsonNode obj, String field) {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException(field + ": missing");
        }
        return n;
    }

    private static int positiveInt(JsonNode obj, String field) {
        JsonNode n = required(obj, field);
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() <= 0) {
            throw new IllegalArgumentException(field + ": expected a positive integer, got " + n);
        }
        return n.intValue();
    }

    /**
     * {@code parent.get(key)} (a field name or an array index), an array of exactly {@code size}
     * elements.
     */
    private static JsonNode array(
            JsonNode parent, Object key, String where, int size, String sizeField) {
        JsonNode n =
                key instanceof String ? required(parent, (String) key) : parent.get((Integer) key);
        if (!n.isArray()) {
            throw new IllegalArgumentException(
                    where + ": expected an array, got " + n.getNodeType());
        }
        if (n.size() != size) {
            throw new IllegalArgumentException(
                    where + ": " + n.size() + " values but " + sizeField + " is " + size);
        }
        return n;
    }

    private static void floats(JsonNode array, String where, float[] into, int offset) {
        for (int i = 0; i < array.size(); i++) {
            JsonNode n = array.get(i);
            if (!n.isNumber()) {
                throw new IllegalArgumentException(
                        where + "[" + i + "]: expected a number, got " + n);
            }
            // Float.parseFloat rounds the exact decimal correctly (the Java SE spec says so).
            float value = Float.parseFloat(n.decimalValue().toString());
            if (!Float.isFinite(value)) {
                throw new IllegalArgumentException(
                        where + "[" + i + "]: " + n + " is not a finite float32");
            }
            into[offset + i] = value == 0f ? 0f : value;
        }
    }

    /** Checks that this head fits a head of {@code kind}; see {@link Activation#forKind}. */
    void requireKind(HeadKind kind, String file, String location) {
        Activation needed = Activation.forKind(kind);
        if (activation != needed) {
            throw new BundleException(
                    file,
                    "activation '"
                            + activation.fileName()
                            + "' does not fit a "
                            + kind.manifestName()
                            + " head, which needs '"
                            + needed.fileName()
                            + "'",
                    location);
        }
        if (kind == HeadKind.REGRESSION && outputDim != 1) {
            throw new BundleException(
                    file,
                    "outputDim "
                            + outputDim
                            + " does not fit a regression head, which outputs"
                            + " one value",
                    location);
        }
    }

    /**
     * Checks that this head can serve as a head of {@code kind}: classification needs softmax,
     * regression needs identity and one output.
     *
     * @throws BundleException naming {@code file} when it cannot
     */
    public void requireKind(HeadKind kind, String file) {
        requireKind(Objects.requireNonNull(kind, "kind"), file, null);
    }

    /** The file's bytes; see the class comment for the layout. Ends with a newline. */
    public byte[] toJson() {
        StringBuilder s = new StringBuilder(64 + 12 * weights.length);
        s.append("{\n");
        s.append("  \"format\": \"").append(FORMAT).append("\",\n");
        s.append("  \"inputDim\": ").append(inputDim).append(",\n");
        s.append("  \"outputDim\": ").append(outputDim).append(",\n");
        s.append("  \"activation\": \"").append(activation.fileName()).append("\",\n");
        s.append("  \"weights\": [\n");
        for (int k = 0; k < outputDim; k++) {
            s.append("    ");
            appendFloats(s, weights, k * inputDim, inputDim);
            s.append(k + 1 < outputDim ? ",\n" : "\n");
        }
        s.append("  ],\n");
        s.append("  \"bias\": ");
        appendFloats(s, bias, 0, outputDim);
        s.append("\n}\n");
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void appendFloats(StringBuilder s, float[] values, int from, int count) {
        s.append('[');
        for (int i = 0; i < count; i++) {
            s.append(i == 0 ? "" : ", ").append(formatFloat(values[from + i]));
        }
        s.append(']');
    }

    /**
     * The shortest decimal of at least two significant digits that reads back (correctly rounded)
     * as {@code value}, the closest such when there are several, in {@link Float#toString(float)}'s
     * layout: plain for 1e-3 <= |value| < 1e7, else {@code d.dddE[-]n}. Computed with BigDecimal,
     * so the text does not depend on the JDK's Float.toString (which changed in JDK 19).
     */
    static String formatFloat(float value) {
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException("not a finite float: " + value);
        }
        if (value == 0f) {
            return "0.0";
        }
        BigDecimal exact = new BigDecimal(value);
        for (int digits = 2;
                digits <= 9;
                digits++) { // 9 significant digits always identify a float
            BigDecimal d = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
            if (Float.parseFloat(d.toString()) == value) {
                return layout(d.stripTrailingZeros());
            }
        }
        throw new AssertionError("no decimal of up to 9 digits reads back as " + value);
    }

    private static String layout(BigDecimal d) {
        String digits = d.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - d.scale(); // d = digits[0].digits[1..] x 10^exponent
        String sign = d.signum() < 0 ? "-" : "";
        if (exponent >= -3 && exponent < 7) {
            String plain = d.abs().toPlainString();
            return sign + (plain.indexOf('.') < 0 ? plain + ".0" : plain);
        }
        String fraction = digits.length() > 1 ? digits.substring(1) : "0";
        return sign + digits.charAt(0) + "." + fraction + "E" + exponent;
    }

    /**
     * Applies the head to n rows.
     *
     * @return n rows of {@link #outputDim()} values
     * @throws IllegalArgumentException when a row is null or has the wrong length
     */
    public float[][] apply(float[][] rows) {
        BatchArguments.checkRows(rows, inputDim, "rows", "this linear head");
        float[][] out = new float[rows.length][outputDim];
        compute(rows, out);
        return out;
    }

    /**
     * Applies the head to {@code count} rows stored row-major from index 0 of {@code rows} (count x
     * inputDim values), writing count x outputDim values from index 0 of {@code out}. Either array
     * may be longer.
     *
     * @throws IllegalArgumentException when an array is null or too short, or count is negative
     */
    public void apply(float[] rows, int count, float[] out) {
        BatchArguments.checkFlat(rows, count, out, inputDim, outputDim, "rows");
        compute(rows, count, out);
    }

    /** {@link #apply(float[][])} without the checks. */
    void compute(float[][] rows, float[][] out) {
        double[] z = new double[outputDim];
        for (int r = 0; r < rows.length; r++) {
            row(rows[r], 0, z, out[r], 0);
        }
    }

    /** {@link #apply(float[], int, float[])} without the checks. */
    void compute(float[] rows, int count, float[] out) {
        double[] z = new double[outputDim];
        for (int r = 0; r < count; r++) {
            row(rows, r * inputDim, z, out, r * outputDim);
        }
    }

    private void row(float[] x, int xFrom, double[] z, float[] out, int outFrom) {
        for (int k = 0; k < outputDim; k++) {
            int w = k * inputDim;
            double sum = bias[k];
            for (int j = 0; j < inputDim; j++) {
                sum += (double) weights[w + j] * x[xFrom + j];
            }
            z[k] = sum;
        }
        if (activation == Activation.SOFTMAX) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < outputDim; k++) {
                max = Math.max(max, z[k]); // NaN propagates: a NaN input gives NaN probabilities
            }
            double total = 0;
            for (int k = 0; k < outputDim; k++) {
                z[k] = Math.exp(z[k] - max);
                total += z[k];
            }
            for (int k = 0; k < outputDim; k++) {
                out[outFrom + k] = (float) (z[k] / total);
            }
        } else {
            for (int k = 0; k < outputDim; k++) {
                out[outFrom + k] = (float) z[k];
            }
        }
    }

    public int inputDim() {
        return inputDim;
    }

    public int outputDim() {
        return outputDim;
    }

    public Activation activation() {
        return activation;
    }

    /** A copy of the weights, outputDim rows of inputDim values. */
    public float[][] weights() {
        float[][] w = new float[outputDim][];
        for (int k = 0; k < outputDim; k++) {
            w[k] = Arrays.copyOfRange(weights, k * inputDim, (k + 1) * inputDim);
        }
        return w;
    }

    /** A copy of the bias, outputDim values. */
    public float[] bias() {
        return bias.clone();
    }

    /** Equal when dimensions, activation and every weight and bias (bit for bit) are equal. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof LinearHead)) {
            return false;
        }
        LinearHead other = (LinearHead) o;
        return inputDim == other.inputDim
                && outputDim == other.outputDim
                && activation == other.activation
                && Arrays.equals(weights, other.weights)
                && Arrays.equals(bias, other.bias);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                inputDim, outputDim, activation, Arrays.hashCode(weights), Arrays.hashCode(bias));
    }

    @Override
    public String toString() {
        return "LinearHead[" + inputDim + " -> " + outputDim + ", " + activation.fileName() + "]";
    }
}
