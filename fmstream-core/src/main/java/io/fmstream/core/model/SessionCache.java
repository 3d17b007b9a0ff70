package io.fmstream.core.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reference-counted ONNX Runtime sessions, one per model sha256 per JVM.
 *
 * <p>Why: every operator instance (Flink slot) of a TaskManager loads the same bundle; a session
 * per instance would hold the weights and the optimised graph N times. {@link OrtSession#run} is
 * thread-safe, so one session serves all of them. {@link #acquire} returns a {@link Handle}; the
 * session is closed when the last handle is closed.
 *
 * <p>Keyed by content hash, not by path: the same bytes loaded from two places share a session, and
 * a changed file at the same path gets a new one.
 */
public final class SessionCache {

    private static final Logger LOG = LoggerFactory.getLogger(SessionCache.class);
    private static final SessionCache SHARED = new SessionCache();

    private final Map<String, Entry> entries = new HashMap<>(); // guarded by this

    SessionCache() {}

    /** The JVM-wide cache. */
    public static SessionCache shared() {
        return SHARED;
    }

    /**
     * Returns a handle on the session for {@code model}, creating the session if no open handle for
     * {@code sha256} exists. Creation happens under the cache lock so that concurrent loads of the
     * same model create one session, not several.
     *
     * @param sha256 lower-case hex sha256 of {@code model}; verified when a session is created
     * @param model ONNX bytes
     * @param description what the model is, for log messages (e.g. "heads/rhythm.onnx")
     */
    public synchronized Handle acquire(
            OnnxRuntimeEnvironment environment, String sha256, byte[] model, String description)
            throws OrtException {
        Objects.requireNonNull(environment, "environment");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(model, "model");
        Entry entry = entries.get(sha256);
        if (entry == null) {
            String actual = Sha256.hex(model);
            if (!actual.equals(sha256)) {
                throw new IllegalArgumentException(
                        description + ": bytes hash to " + actual + ", not " + sha256);
            }
            entry = new Entry(sha256, environment.createSession(model));
            entries.put(sha256, entry);
            LOG.debug(
                    "Opened ONNX Runtime session for {} (sha256 {})",
                    description,
                    Sha256.abbrev(sha256));
        }
        entry.references++;
        return new Handle(entry);
    }

    /** Sessions currently open through this cache. */
    public synchronized int openSessionCount() {
        return entries.size();
    }

    /** Open handles on the session for {@code sha256}; 0 when it is not open. */
    public synchronized int referenceCount(String sha256) {
        Entry entry = entries.get(sha256);
        return entry == null ? 0 : entry.references;
    }

    private synchronized void release(Entry entry) {
        entry.references--;
        if (entry.references > 0) {
            return;
        }
        entries.remove(entry.sha256);
        try {
            entry.session.close();
            LOG.debug("Closed ONNX Runtime session sha256 {}", Sha256.abbrev(entry.sha256));
        } catch (OrtException e) {
            throw new IllegalStateException(
                    "Closing the ONNX Runtime session for sha256 " + entry.sha256 + " failed", e);
        }
    }

    private static final class Entry {
        final String sha256;
        final OrtSession session;
        int references; // guarded by the cache

        Entry(String sha256, OrtSession session) {
            this.sha256 = sha256;
            this.session = session;
        }
    }

    /** One reference on a shared session. Closing it more than once has no further effect. */
    public final class Handle implements AutoCloseable {
        private final Entry entry;
        private boolean closed; // guarded by this

        private Handle(Entry entry) {
            this.entry = entry;
        }

        /** The shared session; do not close it directly. */
        public synchronized OrtSession session() {
            if (closed) {
                throw new IllegalStateException(
                        "Session handle for sha256 " + entry.sha256 + " is closed");
            }
            return entry.session;
        }

        public String sha256() {
            return entry.sha256;
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            release(entry);
        }
    }
}
