package io.fmstream.metrics;

import java.util.Arrays;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;

/**
 * A histogram with fixed bucket bounds, cumulative since the operator started: per-bucket counts,
 * their sum and count, which add up across subtasks and TaskManagers (Flink's own histograms are
 * per-subtask summaries over a sliding sample, which cannot be aggregated). {@link
 * PrometheusReporter} exports it as a Prometheus histogram; any other Flink reporter (and the web
 * UI) sees {@link #getStatistics()}, quantiles interpolated within buckets.
 *
 * <p>{@link #update} takes the recorded unit (milliseconds, microseconds, windows) and records it
 * times {@code scale}, in the exported unit.
 */
public final class BucketHistogram implements Histogram {

    private final double[] bounds;
    private final double scale;
    private final LongAdder[] counts;
    private final DoubleAdder sum = new DoubleAdder();
    private final LongAdder count = new LongAdder();

    public BucketHistogram(double[] bounds, double scale) {
        for (int i = 1; i < bounds.length; i++) {
            if (!(bounds[i] > bounds[i - 1])) {
                throw new IllegalArgumentException(
                        "bucket bounds must increase: " + Arrays.toString(bounds));
            }
        }
        this.bounds = bounds.clone();
        this.scale = scale;
        this.counts = new LongAdder[bounds.length + 1];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    @Override
    public void update(long value) {
        observe(value * scale);
    }

    /** Records a value already in the exported unit. */
    public void observe(double v) {
        int i = Arrays.binarySearch(bounds, v);
        int bucket = i >= 0 ? i : -i - 1; // le: a value equal to a bound counts in that bucket
        counts[bucket].increment();
        sum.add(v);
        count.increment();
    }

    @Override
    public long getCount() {
        return count.sum();
    }

    /** Upper bounds, without +Inf. */
    public double[] bounds() {
        return bounds.clone();
    }

    /** Cumulative counts per bound, the last for +Inf (Prometheus {@code _bucket}). */
    public long[] cumulativeCounts() {
        long[] c = new long[counts.length];
        long running = 0;
        for (int i = 0; i < counts.length; i++) {
            running += counts[i].sum();
            c[i] = running;
        }
        return c;
    }

    public double sum() {
        return sum.sum();
    }

    @Override
    public HistogramStatistics getStatistics() {
        long[] cumulative = cumulativeCounts();
        double total = sum.sum();
        return new HistogramStatistics() {
            @Override
            public double getQuantile(double q) {
                long n = cumulative[cumulative.length - 1];
                if (n == 0) {
                    return Double.NaN;
                }
                double rank = q * n;
                for (int i = 0; i < cumulative.length; i++) {
                    if (cumulative[i] >= rank) {
                        if (i == bounds.length) {
                            return bounds.length == 0 ? Double.NaN : bounds[bounds.length - 1];
                        }
                        double lo = i == 0 ? 0 : bounds[i - 1];
                        long below = i == 0 ? 0 : cumulative[i - 1];
                        long in = cumulative[i] - below;
                        return in == 0 ? bounds[i] : lo + (bounds[i] - lo) * (rank - below) / in;
                    }
                }
                return Double.NaN;
            }

            @Override
            public long[] getValues() {
                return new long[0];
            }

            @Override
            public int size() {
                return (int) Math.min(Integer.MAX_VALUE, cumulative[cumulative.length - 1]);
            }

            @Override
            public double getMean() {
                long n = cumulative[cumulative.length - 1];
                return n == 0 ? Double.NaN : total / n;
            }

            @Override
            public double getStdDev() {
                return Double.NaN; // not kept: buckets, sum and count are what aggregates
            }

            @Override
            public long getMax() {
                return (long) getQuantile(1.0);
            }

            @Override
            public long getMin() {
                return (long) getQuantile(0.0);
            }
        };
    }
}
