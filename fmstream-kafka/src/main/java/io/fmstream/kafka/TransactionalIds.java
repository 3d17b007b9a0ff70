package io.fmstream.kafka;

import java.util.List;

/**
 * The jobs' transactional-id prefixes, all derived from the one configured {@code
 * fmstream.transactional-id-prefix}: one definition for the sinks that use them and for the ACLs
 * that grant them ({@link Acls}), so a grant covers exactly the ids its job's sinks make.
 *
 * <p>Why per sink: each exactly-once sink makes its own ids under its own prefix (one per subtask
 * and pool slot). The accuracy job's prefix extends the inference job's, so a grant on the bare
 * prefix would also let the inference job's principal start producers on the accuracy job's ids,
 * and so fence its transactions.
 */
public final class TransactionalIds {

    /** The inference job's sinks, by the name their prefix ends with. */
    public static final String EMBEDDINGS = "embeddings";

    public static final String PREDICTIONS = "predictions";

    public static final String DEAD_LETTERS = "dead-letters";

    public static final List<String> INFERENCE_SINKS =
            List.of(EMBEDDINGS, PREDICTIONS, DEAD_LETTERS);

    private TransactionalIds() {}

    /** The prefix of one of the inference job's sinks ({@link #INFERENCE_SINKS}). */
    public static String inferenceSink(String prefix, String sink) {
        if (!INFERENCE_SINKS.contains(sink)) {
            throw new IllegalArgumentException(
                    "not a sink of the inference job: " + sink + " (" + INFERENCE_SINKS + ")");
        }
        return prefix + "-" + sink;
    }

    /** The accuracy job's prefix: its own, so neither job can fence the other's transactions. */
    public static String accuracyJob(String prefix) {
        return prefix + "-accuracy";
    }

    /**
     * Every prefix both jobs make ids under from {@code prefix}: the sinks', the accuracy job's.
     */
    public static List<String> ofJobs(String prefix) {
        List<String> all = new java.util.ArrayList<>();
        for (String sink : INFERENCE_SINKS) {
            all.add(inferenceSink(prefix, sink));
        }
        all.add(accuracyJob(prefix));
        return all;
    }

    /**
     * Whether {@code id} is one the jobs configured with {@code prefix} make (a sink's prefix, then
     * Flink's "-subtask-counter"): the bare prefix also matched another deployment's ids ({@code
     * fmstream-eu-...} under {@code fmstream}).
     */
    public static boolean ofJobs(String id, String prefix) {
        for (String p : ofJobs(prefix)) {
            if (id.startsWith(p + "-")) {
                return true;
            }
        }
        return false;
    }
}
