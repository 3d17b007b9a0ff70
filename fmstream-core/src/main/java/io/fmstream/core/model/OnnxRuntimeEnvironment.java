package io.fmstream.core.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-wide ONNX Runtime environment, configured with one GLOBAL intra-op thread pool that
 * every session shares.
 *
 * <p>Why global: a Flink TaskManager runs several operator instances (slots) in one JVM. With
 * per-session pools each session would start its own threads and several slots would oversubscribe
 * the cores; with one global pool the JVM's ONNX Runtime work is bounded by one thread count.
 * Spinning is disabled because inference calls arrive in bursts between which the task threads do
 * other work; spinning pool threads would burn those cores.
 *
 * <p>{@link OrtEnvironment} is a JVM singleton whose thread pool can only be chosen when it is
 * first created. Hence the first caller's thread count wins; later callers asking for another count
 * get a warning. If some other component created the OrtEnvironment before this class could (so its
 * thread configuration is unknown), sessions fall back to their own per-session pools of the
 * requested size, with a warning.
 */
public final class OnnxRuntimeEnvironment {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxRuntimeEnvironment.class);
    private static final String NAME = "fmstream";

    private static OnnxRuntimeEnvironment instance; // guarded by OnnxRuntimeEnvironment.class
    private static final Set<Integer> IGNORED_REQUESTS =
            new HashSet<>(); // guarded by OnnxRuntimeEnvironment.class

    private final OrtEnvironment ort;
    private final int intraOpThreads;
    private final boolean globalThreadPool;

    OnnxRuntimeEnvironment(OrtEnvironment ort, int intraOpThreads, boolean globalThreadPool) {
        this.ort = ort;
        this.intraOpThreads = intraOpThreads;
        this.globalThreadPool = globalThreadPool;
    }

    /**
     * Returns the shared environment, creating it with {@code intraOpThreads} global intra-op
     * threads on the first call.
     *
     * @throws IllegalArgumentException when {@code intraOpThreads < 1}
     * @throws IllegalStateException when ONNX Runtime cannot be initialised
     */
    public static synchronized OnnxRuntimeEnvironment initialise(int intraOpThreads) {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException(
                    "intraOpThreads must be at least 1, got " + intraOpThreads);
        }
        if (instance != null) {
            // Warn once per differing request, not once per operator instance that makes it.
            if (instance.intraOpThreads != intraOpThreads && IGNORED_REQUESTS.add(intraOpThreads)) {
                LOG.warn(
                        "ONNX Runtime was already initialised with {} intra-op threads; ignoring"
                            + " the request for {} (the thread pool is JVM-wide and fixed at first"
                            + " use)",
                        instance.intraOpThreads,
                        intraOpThreads);
            }
            return instance;
        }
        instance = create(intraOpThreads);
        return instance;
    }

    private static OnnxRuntimeEnvironment create(int intraOpThreads) {
        try (OrtEnvironment.ThreadingOptions threading = new OrtEnvironment.ThreadingOptions()) {
            threading.setGlobalIntraOpNumThreads(intraOpThreads);
            threading.setGlobalInterOpNumThreads(1);
            threading.setGlobalSpinControl(false);
            OrtEnvironment ort;
            try {
                ort =
                        OrtEnvironment.getEnvironment(
                                OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, NAME, threading);
            } catch (IllegalStateException e) {
                if (e.getCause() != null) {
                    throw e; // native creation failed; nothing to fall back to
                }
                // Only thrown without a cause when the singleton already exists: another component
                // of this JVM (or an earlier class loader of the same job) created it first.
                LOG.warn(
                        "The JVM's OrtEnvironment already existed ({}); its thread pool is unknown,"
                            + " so sessions get their own pools of {} intra-op threads each instead"
                            + " of one global pool",
                        e.getMessage(),
                        intraOpThreads);
                return new OnnxRuntimeEnvironment(
                        OrtEnvironment.getEnvironment(), intraOpThreads, false);
            }
            LOG.info(
                    "ONNX Runtime {} initialised: global thread pool, {} intra-op thread(s), 1"
                            + " inter-op, no spinning",
                    ort.getVersion(),
                    intraOpThreads);
            return new OnnxRuntimeEnvironment(ort, intraOpThreads, true);
        } catch (OrtException e) {
            throw new IllegalStateException(
                    "Cannot configure ONNX Runtime's global thread pool with "
                            + intraOpThreads
                            + " intra-op threads",
                    e);
        }
    }

    /** The JVM-wide ONNX Runtime environment. Never close it. */
    public OrtEnvironment ort() {
        return ort;
    }

    /** Intra-op threads of the shared pool (or of each session, without a global pool). */
    public int intraOpThreads() {
        return intraOpThreads;
    }

    /** False only when the OrtEnvironment was created by someone else (see class comment). */
    public boolean globalThreadPool() {
        return globalThreadPool;
    }

    /**
     * Options for a new session: use the global pool (or, failing that, a pool of the same size).
     */
    public OrtSession.SessionOptions newSessionOptions() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            if (globalThreadPool) {
                options.disablePerSessionThreads();
            } else {
                options.setIntraOpNumThreads(intraOpThreads);
                options.setInterOpNumThreads(1);
                // As the global pool does: a per-session pool spins between calls by default, and
                // with one per session (the encoder and every ONNX head) the spinning threads
                // would take the cores the rest of the job needs. This path is taken from a job's
                // second submission to a TaskManager on, where the parent-first ONNX Runtime's
                // environment outlives the first job's class loader.
                options.addConfigEntry(ALLOW_SPINNING, "0");
            }
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    /** ONNX Runtime's session config key for its intra-op threads' spinning. */
    static final String ALLOW_SPINNING = "session.intra_op.allow_spinning";

    /** Creates a session from ONNX bytes with {@link #newSessionOptions()}. */
    public OrtSession createSession(byte[] model) throws OrtException {
        // ONNX Runtime copies the options into the session, so they can be released at once.
        try (OrtSession.SessionOptions options = newSessionOptions()) {
            return ort.createSession(model, options);
        }
    }

    @Override
    public String toString() {
        return "OnnxRuntimeEnvironment[intraOpThreads="
                + intraOpThreads
                + (globalThreadPool ? ", global pool" : ", per-session pools")
                + "]";
    }
}
