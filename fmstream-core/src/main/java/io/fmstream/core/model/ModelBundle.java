package io.fmstream.core.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded, verified model bundle: its manifest, the shared encoder and the heads on it, with ONNX
 * Runtime sessions taken from the JVM-wide {@link SessionCache}. Linear heads ({@link
 * HeadFormat#LINEAR}) are parsed into a {@link LinearHead} and need no session.
 *
 * <p>{@link #load} fails fast rather than serve a model other than the one the manifest describes:
 * every file's sha256, every head's training encoder, and every tensor name, type and shape (for a
 * linear head: its dimensions and activation) are checked before the bundle is handed out. Anything
 * opened before a refusal is closed again.
 *
 * <p>Each operator instance should load its own ModelBundle (cheap after the first: the sessions
 * are shared) and close it when it closes, and only the part it runs ({@link #loadEncoder}, {@link
 * #loadHead}): every file it reads is still verified against the manifest.
 */
public final class ModelBundle implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelBundle.class);

    private final BundleManifest manifest;
    private final String location;
    private final EncoderRunner encoder;
    private final List<HeadRunner> heads;
    private boolean closed; // guarded by this

    private ModelBundle(
            BundleManifest manifest,
            String location,
            EncoderRunner encoder,
            List<HeadRunner> heads) {
        this.manifest = manifest;
        this.location = location;
        this.encoder = encoder;
        this.heads = List.copyOf(heads);
    }

    /** Loads the bundle in a local directory; see {@link #load(BundleFiles, int)}. */
    public static ModelBundle load(Path directory, int intraOpThreads) {
        return load(new LocalBundleFiles(directory), intraOpThreads);
    }

    /**
     * Reads, verifies and opens a bundle.
     *
     * @param files the bundle's files
     * @param intraOpThreads ONNX Runtime's JVM-wide intra-op thread count; only the first load in a
     *     JVM sets it (see {@link OnnxRuntimeEnvironment})
     * @throws BundleException naming the file and the reason when the bundle is refused
     */
    public static ModelBundle load(BundleFiles files, int intraOpThreads) {
        return load(files, intraOpThreads, null);
    }

    /**
     * As {@link #load(BundleFiles, int)}, and refuses the bundle unless its encoder is the one a
     * job was built with. The job reads the manifest once at submission (the encoder identity it
     * writes into every output comes from there) while each operator loads the bundle again when it
     * opens, possibly much later and on another machine: if the files behind the URI were replaced
     * in between, serving the new encoder under the old identity would mislabel every embedding.
     * Checked with the manifest, before any session exists (the encoder file itself is then
     * verified against the manifest's sha256 as always).
     *
     * @param expectedEncoderSha256 the encoder's sha256 at submission; null: no such check
     * @throws BundleException naming both sha256 values
     */
    public static ModelBundle load(
            BundleFiles files, int intraOpThreads, String expectedEncoderSha256) {
        return load(files, intraOpThreads, expectedEncoderSha256, Parts.WHOLE);
    }

    /**
     * As {@link #load(BundleFiles, int, String)}, reading, verifying and opening the encoder only:
     * {@link #heads()} is empty. For the encoder's operator, which runs no head.
     */
    public static ModelBundle loadEncoder(
            BundleFiles files, int intraOpThreads, String expectedEncoderSha256) {
        return load(files, intraOpThreads, expectedEncoderSha256, Parts.ENCODER);
    }

    /**
     * As {@link #load(BundleFiles, int, String)}, reading, verifying and opening the head of {@code
     * task} only: {@link #heads()} holds that head and {@link #encoder()} throws. For a head's
     * operator: every head and encoder operator used to read and hash the whole bundle when it
     * opened, the encoder's 4.8 MB included, which is 18 reads of it at 8 tasks and parallelism 2
     * (from a remote file system, 18 downloads at every start and restart). The manifest and its
     * cross-checks (the encoder identity, every head trained on the encoder) are read and checked
     * as for a whole load; the encoder file itself is verified by the encoder's operator.
     *
     * @throws BundleException when the manifest has no head for {@code task}
     */
    public static ModelBundle loadHead(
            BundleFiles files, int intraOpThreads, String expectedEncoderSha256, String task) {
        return loadHead(files, intraOpThreads, expectedEncoderSha256, task, null);
    }

    /**
     * As {@link #loadHead(BundleFiles, int, String, String)}, refusing a head other than the one
     * the job was built with: the same file (sha256) and the same labels. As for the encoder (see
     * {@link #load(BundleFiles, int, String)}), a head replaced behind the URI after submission
     * would otherwise be served from the next restart on, while the job's recording-level
     * predictions still name classes by the labels read at submission.
     *
     * @param expected the head at submission; null: no such check
     * @throws BundleException naming what differs
     */
    public static ModelBundle loadHead(
            BundleFiles files,
            int intraOpThreads,
            String expectedEncoderSha256,
            String task,
            HeadIdentity expected) {
        Objects.requireNonNull(task, "task");
        return load(files, intraOpThreads, expectedEncoderSha256, Parts.head(task, expected));
    }

    /**
     * Which parts of a bundle one load reads, verifies and opens: the encoder or not, and every
     * head, none, or the head of {@code task}.
     */
    /**
     * What of a head its outputs depend on beyond its file: the file (sha256) and the labels its
     * scores are named by. Serializable: an operator carries the one the job was built with.
     */
    public record HeadIdentity(String sha256, List<String> labels) implements java.io.Serializable {
        public HeadIdentity {
            Objects.requireNonNull(sha256, "sha256");
            labels = List.copyOf(labels);
        }

        public static HeadIdentity of(BundleManifest.HeadSpec head) {
            return new HeadIdentity(head.sha256(), head.labels());
        }
    }

    private record Parts(boolean encoder, boolean allHeads, String task, HeadIdentity expected) {
        static final Parts WHOLE = new Parts(true, true, null, null);
        static final Parts ENCODER = new Parts(true, false, null, null);

        static Parts head(String task, HeadIdentity expected) {
            return new Parts(false, false, task, expected);
        }

        boolean wants(BundleManifest.HeadSpec head) {
            return allHeads || head.task().equals(task);
        }
    }

    private static ModelBundle load(
            BundleFiles files, int intraOpThreads, String expectedEncoderSha256, Parts parts) {
        boolean withEncoder = parts.encoder();
        Objects.requireNonNull(files, "files");
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException(
                    "intraOpThreads must be at least 1, got " + intraOpThreads);
        }
        String where = files.describe();
        BundleManifest manifest =
                BundleManifest.parse(read(files, BundleManifest.FILE_NAME, where), where);
        BundleManifest.EncoderSpec encoderSpec = manifest.encoder();

        // Cheap checks first, all before any session exists.
        if (expectedEncoderSha256 != null && !encoderSpec.sha256().equals(expectedEncoderSha256)) {
            throw new BundleException(
                    BundleManifest.FILE_NAME,
                    "encoder sha256 "
                            + encoderSpec.sha256()
                            + " differs from "
                            + expectedEncoderSha256
                            + ", the encoder this job was built with: the bundle was replaced "
                            + "after submission; resubmit the job to serve the new bundle",
                    where);
        }
        for (BundleManifest.HeadSpec head : manifest.heads()) {
            if (!encoderSpec.serves(head.encoderSha256())) {
                throw new BundleException(
                        head.file(),
                        "head '"
                                + head.task()
                                + "' was trained on encoder sha256 "
                                + head.encoderSha256()
                                + " but the bundle's encoder "
                                + encoderSpec.file()
                                + " is "
                                + encoderSpec.sha256()
                                + (encoderSpec.quantizedFrom() == null
                                        ? ""
                                        : ", quantised from " + encoderSpec.quantizedFrom()),
                        where);
            }
        }
        List<BundleManifest.HeadSpec> wanted = new ArrayList<>();
        for (BundleManifest.HeadSpec head : manifest.heads()) {
            if (parts.wants(head)) {
                wanted.add(head);
            }
        }
        if (parts.task() != null && wanted.isEmpty()) {
            throw new BundleException(
                    BundleManifest.FILE_NAME,
                    "no head for task '"
                            + parts.task()
                            + "' (the bundle's tasks: "
                            + manifest.heads().stream()
                                    .map(BundleManifest.HeadSpec::task)
                                    .collect(Collectors.joining(", "))
                            + ")",
                    where);
        }
        HeadIdentity expected = parts.expected();
        if (expected != null && !wanted.isEmpty()) {
            BundleManifest.HeadSpec now = wanted.get(0);
            if (!HeadIdentity.of(now).equals(expected)) {
                throw new BundleException(
                        now.file(),
                        "head '"
                                + now.task()
                                + "' is sha256 "
                                + now.sha256()
                                + " with labels "
                                + now.labels()
                                + ", not "
                                + expected.sha256()
                                + " with labels "
                                + expected.labels()
                                + ", the head this job was built with: the bundle was replaced"
                                + " after submission; resubmit the job to serve the new bundle",
                        where);
            }
        }
        byte[] encoderBytes =
                withEncoder
                        ? readVerified(files, encoderSpec.file(), encoderSpec.sha256(), where)
                        : null;
        List<byte[]> headBytes = new ArrayList<>();
        List<LinearHead> linearHeads = new ArrayList<>(); // null for ONNX heads
        for (BundleManifest.HeadSpec head : wanted) {
            byte[] bytes = readVerified(files, head.file(), head.sha256(), where);
            headBytes.add(bytes);
            linearHeads.add(
                    head.format() == HeadFormat.LINEAR
                            ? linearHead(head, bytes, encoderSpec, where)
                            : null);
        }

        if (manifest.fixture() && withEncoder) { // once per encoder, not per head as well
            LOG.warn(
                    "Bundle {} {} at {} is a TEST FIXTURE with random weights: its outputs mean"
                            + " nothing",
                    manifest.bundleId(),
                    manifest.version(),
                    where);
        }
        OnnxRuntimeEnvironment environment = OnnxRuntimeEnvironment.initialise(intraOpThreads);
        SessionCache cache = SessionCache.shared();
        List<BatchRunner> opened = new ArrayList<>();
        try {
            EncoderRunner encoder = null;
            if (withEncoder) {
                BatchRunner encoderRunner =
                        open(
                                cache,
                                environment,
                                encoderSpec.file(),
                                encoderSpec.sha256(),
                                encoderBytes,
                                encoderSpec.inputName(),
                                encoderSpec.outputName(),
                                encoderSpec.inputLength(),
                                encoderSpec.embeddingDim(),
                                "windows",
                                opened,
                                where);
                checkTensors(
                        encoderRunner,
                        encoderSpec.file(),
                        where,
                        encoderSpec.inputName(),
                        encoderSpec.inputLength(),
                        "inputLength",
                        encoderSpec.outputName(),
                        encoderSpec.embeddingDim(),
                        "embeddingDim");
                encoder = new EncoderRunner(encoderSpec, encoderRunner);
            }

            List<HeadRunner> heads = new ArrayList<>();
            for (int i = 0; i < wanted.size(); i++) {
                BundleManifest.HeadSpec spec = wanted.get(i);
                LinearHead linear = linearHeads.get(i);
                if (linear != null) {
                    LOG.debug(
                            "{} (sha256 {}): {}",
                            spec.file(),
                            Sha256.abbrev(spec.sha256()),
                            linear);
                    heads.add(
                            new HeadRunner(
                                    spec, new LinearHeadModel(linear, spec.file(), "embeddings")));
                    continue;
                }
                BatchRunner runner =
                        open(
                                cache,
                                environment,
                                spec.file(),
                                spec.sha256(),
                                headBytes.get(i),
                                spec.inputName(),
                                spec.outputName(),
                                encoderSpec.embeddingDim(),
                                spec.outputDim(),
                                "embeddings",
                                opened,
                                where);
                checkTensors(
                        runner,
                        spec.file(),
                        where,
                        spec.inputName(),
                        encoderSpec.embeddingDim(),
                        "encoder.embeddingDim",
                        spec.outputName(),
                        spec.outputDim(),
                        "outputDim");
                if (spec.kind() == HeadKind.CLASSIFICATION) {
                    checkProbabilities(runner, spec.file(), encoderSpec.embeddingDim(), where);
                }
                heads.add(new HeadRunner(spec, runner));
            }
            ModelBundle bundle = new ModelBundle(manifest, where, encoder, heads);
            if (withEncoder) {
                LOG.info(
                        "Loaded {} from {}{}",
                        manifest,
                        where,
                        parts.allHeads() ? "" : " (the encoder only)");
            } else {
                // DEBUG: a job loads one head per head operator and subtask; its encoder's
                // operators log the INFO line.
                LOG.debug("Loaded the head of {} of {} from {}", parts.task(), manifest, where);
            }
            return bundle;
        } catch (RuntimeException e) {
            closeAll(opened, e);
            throw e;
        }
    }

    private static byte[] read(BundleFiles files, String file, String where) {
        try {
            return files.read(file);
        } catch (IOException e) {
            throw new BundleException(file, "cannot be read: " + e, where, e);
        }
    }

    /**
     * Reads every file the manifest names and checks its sha256, opening no session: what a job
     * does at submission, so that a truncated or tampered file is refused there, naming it, rather
     * than by every operator as it opens, in a restart loop that re-reads the bundle each time.
     *
     * @throws BundleException naming the first file that is missing or differs
     */
    public static void verifyFiles(BundleFiles files, BundleManifest manifest) {
        String where = files.describe();
        readVerified(files, manifest.encoder().file(), manifest.encoder().sha256(), where);
        for (BundleManifest.HeadSpec head : manifest.heads()) {
            readVerified(files, head.file(), head.sha256(), where);
        }
    }

    private static byte[] readVerified(
            BundleFiles files, String file, String expectedSha256, String where) {
        byte[] bytes = read(files, file, where);
        String actual = Sha256.hex(bytes);
        if (!actual.equals(expectedSha256)) {
            throw new BundleException(
                    file,
                    "sha256 mismatch: manifest says " + expectedSha256 + ", file is " + actual,
                    where);
        }
        return bytes;
    }

    /**
     * Parses a linear head's (verified) file and checks it against the manifest: it takes the
     * encoder's embeddings, has the manifest's number of outputs and the activation of its kind.
     */
    private static LinearHead linearHead(
            BundleManifest.HeadSpec spec,
            byte[] bytes,
            BundleManifest.EncoderSpec encoder,
            String where) {
        LinearHead head = LinearHead.parse(bytes, spec.file(), where);
        if (head.inputDim() != encoder.embeddingDim()) {
            throw new BundleException(
                    spec.file(),
                    "inputDim "
                            + head.inputDim()
                            + " does not match"
                            + " encoder.embeddingDim "
                            + encoder.embeddingDim()
                            + " of "
                            + encoder.file(),
                    where);
        }
        if (head.outputDim() != spec.outputDim()) {
            throw new BundleException(
                    spec.file(),
                    "outputDim "
                            + head.outputDim()
                            + " does not match the manifest's"
                            + " outputDim "
                            + spec.outputDim()
                            + " for head '"
                            + spec.task()
                            + "'",
                    where);
        }
        head.requireKind(spec.kind(), spec.file(), where);
        return head;
    }

    private static BatchRunner open(
            SessionCache cache,
            OnnxRuntimeEnvironment environment,
            String file,
            String sha256,
            byte[] bytes,
            String inputName,
            String outputName,
            int inputWidth,
            int outputWidth,
            String inputWhat,
            List<BatchRunner> opened,
            String where) {
        SessionCache.Handle handle;
        try {
            handle = cache.acquire(environment, sha256, bytes, file);
        } catch (OrtException e) {
            throw new BundleException(
                    file, "ONNX Runtime cannot load it: " + e.getMessage(), where, e);
        }
        BatchRunner runner =
                new BatchRunner(
                        handle,
                        environment.ort(),
                        file,
                        inputName,
                        outputName,
                        inputWidth,
                        outputWidth,
                        inputWhat);
        opened.add(runner);
        return runner;
    }

    /**
     * A classification head must give class probabilities (the job's labels are their argmax, a
     * recording's prediction their mean, the accuracy job scores them): run on three probe
     * embeddings (zeros, a fixed pseudo-random vector and its negation, both of unit variance),
     * each row must be finite, within [0, 1] and sum to 1. An export without its final softmax
     * gives logits, which served without this check as if they were probabilities: labels still
     * right, every mean and score wrong. A linear head's softmax is checked from its file ({@link
     * LinearHead}).
     */
    private static void checkProbabilities(
            BatchRunner runner, String file, int embeddingDim, String where) {
        float[][] probes = new float[3][embeddingDim];
        java.util.Random random = new java.util.Random(20261208L);
        for (int k = 0; k < embeddingDim; k++) {
            probes[1][k] = (float) random.nextGaussian();
            probes[2][k] = -probes[1][k];
        }
        for (float[] probe : probes) {
            float[] row;
            try {
                // One row per call: a head exported with a fixed batch of one is served (one
                // window per call, HeadOperator), and must not be refused for the probe's batch.
                row = runner.run(new float[][] {probe})[0];
            } catch (RuntimeException e) {
                // A head that fails to run is the head operator's to report, window by window
                // (fmstream_head_failures_total), while the other tasks go on: not a reason to
                // refuse the whole bundle here.
                LOG.warn(
                        "{} could not be probed for class probabilities ({}): not checked",
                        file,
                        e.getMessage());
                return;
            }
            double sum = 0;
            boolean inRange = true;
            for (float v : row) {
                inRange &= v >= -PROBABILITY_SLACK && v <= 1 + PROBABILITY_SLACK;
                sum += v;
            }
            if (!inRange || !(Math.abs(sum - 1) <= PROBABILITY_SUM_SLACK)) {
                throw new BundleException(
                        file,
                        "is a classification head but does not output class probabilities: on a"
                                + " probe embedding it gave "
                                + java.util.Arrays.toString(row)
                                + " (sum "
                                + sum
                                + "); export it with its final Softmax",
                        where);
            }
        }
    }

    /** Float rounding a softmax's outputs may show outside [0, 1]. */
    private static final double PROBABILITY_SLACK = 1e-5;

    /**
     * How far a row's sum may be from 1: float32 rounding over a few classes is far below it, and a
     * head whose probabilities pass through 8 bits (a quantised softmax, 1/256 steps) still sums
     * within it over a handful of classes.
     */
    private static final double PROBABILITY_SUM_SLACK = 0.02;

    /**
     * Checks that the model has exactly the one named float input [batch, inputWidth] and a named
     * float output [batch, outputWidth], with a dynamic batch axis (batches vary in size). A
     * dynamic feature axis is accepted: such a model takes the manifest's size, and the runner
     * checks every result's shape.
     */
    private static void checkTensors(
            BatchRunner runner,
            String file,
            String where,
            String inputName,
            int inputWidth,
            String inputField,
            String outputName,
            int outputWidth,
            String outputField) {
        OrtSession session = runner.session();
        Map<String, NodeInfo> inputs;
        Map<String, NodeInfo> outputs;
        try {
            inputs = session.getInputInfo();
            outputs = session.getOutputInfo();
        } catch (OrtException e) {
            throw new BundleException(
                    file, "cannot read its input/output metadata: " + e.getMessage(), where, e);
        }
        // DEBUG: every operator instance loads the bundle; the INFO line "Loaded ..." summarises
        // it.
        LOG.debug(
                "{} (sha256 {}): inputs {}, outputs {}",
                file,
                Sha256.abbrev(runner.sha256()),
                describe(inputs),
                describe(outputs));
        if (!inputs.containsKey(inputName)) {
            throw new BundleException(
                    file,
                    "no input named '" + inputName + "' (model inputs: " + describe(inputs) + ")",
                    where);
        }
        if (inputs.size() != 1) {
            throw new BundleException(
                    file,
                    "has inputs "
                            + describe(inputs)
                            + " but only '"
                            + inputName
                            + "' is fed; a bundle model must have exactly one input",
                    where);
        }
        if (!outputs.containsKey(outputName)) {
            throw new BundleException(
                    file,
                    "no output named '"
                            + outputName
                            + "' (model outputs: "
                            + describe(outputs)
                            + ")",
                    where);
        }
        checkShape(file, where, "input", inputName, inputs.get(inputName), inputWidth, inputField);
        checkShape(
                file,
                where,
                "output",
                outputName,
                outputs.get(outputName),
                outputWidth,
                outputField);
    }

    private static void checkShape(
            String file,
            String where,
            String role,
            String name,
            NodeInfo node,
            int width,
            String manifestField) {
        ValueInfo info = node.getInfo();
        if (!(info instanceof TensorInfo)) {
            throw new BundleException(
                    file,
                    role + " '" + name + "' is " + info + ", expected a float32 tensor",
                    where);
        }
        TensorInfo tensor = (TensorInfo) info;
        long[] shape = tensor.getShape();
        if (tensor.type != OnnxJavaType.FLOAT) {
            throw new BundleException(
                    file,
                    role
                            + " '"
                            + name
                            + "' has element type "
                            + tensor.type
                            + ", expected FLOAT (float32)",
                    where);
        }
        if (shape.length != 2) {
            throw new BundleException(
                    file,
                    role
                            + " '"
                            + name
                            + "' has shape "
                            + Arrays.toString(shape)
                            + ", expected [batch, "
                            + width
                            + "] ("
                            + manifestField
                            + " "
                            + width
                            + ")",
                    where);
        }
        if (shape[1] != width && shape[1] != -1) {
            throw new BundleException(
                    file,
                    role
                            + " '"
                            + name
                            + "' has shape "
                            + Arrays.toString(shape)
                            + ", manifest says "
                            + manifestField
                            + " "
                            + width,
                    where);
        }
        if (shape[0] != -1) {
            throw new BundleException(
                    file,
                    role
                            + " '"
                            + name
                            + "' has shape "
                            + Arrays.toString(shape)
                            + ": the batch axis (0) must be dynamic",
                    where);
        }
    }

    private static String describe(Map<String, NodeInfo> nodes) {
        return nodes.values().stream()
                .map(
                        n -> {
                            ValueInfo info = n.getInfo();
                            if (info instanceof TensorInfo) {
                                TensorInfo t = (TensorInfo) info;
                                String[] names = t.getDimensionNames();
                                long[] shape = t.getShape();
                                StringBuilder dims = new StringBuilder();
                                for (int i = 0; i < shape.length; i++) {
                                    dims.append(i == 0 ? "" : ", ");
                                    boolean named =
                                            shape[i] == -1
                                                    && names != null
                                                    && i < names.length
                                                    && !names[i].isEmpty();
                                    dims.append(named ? names[i] : Long.toString(shape[i]));
                                }
                                return n.getName() + " " + t.type + "[" + dims + "]";
                            }
                            return n.getName() + " " + info;
                        })
                .collect(Collectors.joining(", ", "{", "}"));
    }

    private static void closeAll(List<BatchRunner> runners, Throwable primary) {
        for (BatchRunner runner : runners) {
            try {
                runner.close();
            } catch (RuntimeException e) {
                primary.addSuppressed(
                        e); // the refusal matters more; keep the close failure visible
            }
        }
    }

    public BundleManifest manifest() {
        return manifest;
    }

    /** Where the bundle was loaded from ({@link BundleFiles#describe()}). */
    public String location() {
        return location;
    }

    /**
     * @throws IllegalStateException for a bundle loaded by {@link #loadHead}, which has no encoder
     */
    public EncoderRunner encoder() {
        if (encoder == null) {
            throw new IllegalStateException(
                    this + " was loaded for one head, without its encoder (ModelBundle.loadHead)");
        }
        return encoder;
    }

    /**
     * Heads in manifest order (those loaded: one after {@link #loadHead}, none after {@link
     * #loadEncoder}).
     */
    public List<HeadRunner> heads() {
        return heads;
    }

    public Optional<HeadRunner> head(String task) {
        return heads.stream().filter(h -> h.task().equals(task)).findFirst();
    }

    /**
     * Releases this bundle's session references; the last user of a session closes it. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        List<Runnable> closers = new ArrayList<>();
        if (encoder != null) {
            closers.add(encoder::close);
        }
        heads.forEach(h -> closers.add(h::close));
        for (Runnable closer : closers) {
            try {
                closer.run();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "ModelBundle["
                + manifest.bundleId()
                + " "
                + manifest.version()
                + " from "
                + location
                + "]";
    }
}
