package io.fmstream.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;

/**
 * The Kafka transactions of exactly-once sinks, as the transaction coordinators see them: one scan
 * for the probe (which exports what matters to operators) and for the fault tests.
 *
 * <p>Two exposures of Flink's Kafka sink are visible only here. Under transactions protocol V2
 * (KIP-890, Kafka 4.x's default) every commit bumps the producer epoch, and the sink's {@code
 * POOLING} naming reuses a few transactional ids for every checkpoint, so an id's epoch climbs
 * towards Kafka's limit (32,767) in days; recovery in the checkpoint interval after the rollover
 * can fail (FLINK-40689). And a transaction left open (FLINK-40626 after a downscale, a producer
 * that died without aborting) holds back every {@code read_committed} reader of its partitions
 * until {@code transaction.timeout.ms}. Both show in the coordinators' descriptions: the epoch and
 * the start time of an ongoing transaction.
 */
public final class Transactions {

    /** Kafka's producer epoch is a signed 16-bit number; it rolls over after this one. */
    public static final int MAX_EPOCH = Short.MAX_VALUE;

    /** The pool slot suffix of a sink's transactional ids: {@code -<subtask>-<slot>}. */
    private static final Pattern POOL_SUFFIX = Pattern.compile("(-\\d+)+$");

    private Transactions() {}

    /** One transactional id as its coordinator describes it. */
    public record Txn(
            String transactionalId,
            TransactionState state,
            long producerId,
            int producerEpoch,
            OptionalLong startTimeMillis) {

        /** Whether a transaction is in progress: records or markers not yet settled. */
        public boolean open() {
            return state != TransactionState.EMPTY
                    && state != TransactionState.COMPLETE_COMMIT
                    && state != TransactionState.COMPLETE_ABORT;
        }

        /**
         * The sink this id belongs to: the id without its pool-slot suffix, e.g. {@code
         * fmstream-predictions} for {@code fmstream-predictions-1-4}; bounded by the number of
         * sinks, so fit for a metric label.
         */
        public String sink() {
            return Transactions.sink(transactionalId);
        }
    }

    /** Per sink: the highest producer epoch and the oldest open transaction. */
    public record SinkSummary(
            String sink, int ids, int open, int maxProducerEpoch, long oldestOpenMillis) {}

    /** The id without its pool-slot suffix ({@code -<subtask>-<slot>}). */
    public static String sink(String transactionalId) {
        return POOL_SUFFIX.matcher(transactionalId).replaceFirst("");
    }

    /**
     * Every transactional id of the jobs configured with {@code prefix} ({@link
     * TransactionalIds#ofJobs(String, String)}) that a coordinator knows (in any state), sorted by
     * id. Needs DESCRIBE on those ids; ids the caller may not describe are not listed.
     */
    public static List<Txn> under(Admin admin, String prefix, Duration timeout)
            throws ExecutionException, InterruptedException, TimeoutException {
        List<String> ids = new ArrayList<>();
        for (TransactionListing t :
                admin.listTransactions().all().get(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            if (TransactionalIds.ofJobs(t.transactionalId(), prefix)) {
                ids.add(t.transactionalId());
            }
        }
        List<Txn> txns = new ArrayList<>();
        if (ids.isEmpty()) {
            return txns;
        }
        Map<String, TransactionDescription> described =
                admin.describeTransactions(ids)
                        .all()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        described.forEach(
                (id, d) ->
                        txns.add(
                                new Txn(
                                        id,
                                        d.state(),
                                        d.producerId(),
                                        d.producerEpoch(),
                                        d.transactionStartTimeMs())));
        txns.sort(Comparator.comparing(Txn::transactionalId));
        return txns;
    }

    /** The open ones among {@code txns}, as {@code id=STATE}. */
    public static List<String> open(List<Txn> txns) {
        return txns.stream()
                .filter(Txn::open)
                .map(t -> t.transactionalId() + "=" + t.state())
                .toList();
    }

    /** {@code txns} summarised per sink, at wall-clock time {@code nowMillis}. */
    public static List<SinkSummary> bySink(List<Txn> txns, long nowMillis) {
        Map<String, List<Txn>> bySink = new TreeMap<>();
        for (Txn t : txns) {
            bySink.computeIfAbsent(t.sink(), k -> new ArrayList<>()).add(t);
        }
        List<SinkSummary> out = new ArrayList<>();
        bySink.forEach(
                (sink, ts) -> {
                    int maxEpoch = 0;
                    int open = 0;
                    long oldest = 0;
                    for (Txn t : ts) {
                        maxEpoch = Math.max(maxEpoch, t.producerEpoch());
                        if (t.open()) {
                            open++;
                            if (t.startTimeMillis().isPresent()) {
                                oldest =
                                        Math.max(
                                                oldest,
                                                nowMillis - t.startTimeMillis().getAsLong());
                            }
                        }
                    }
                    out.add(new SinkSummary(sink, ts.size(), open, maxEpoch, oldest));
                });
        return out;
    }
}
