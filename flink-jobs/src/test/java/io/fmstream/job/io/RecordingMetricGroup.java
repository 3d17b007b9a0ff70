package io.fmstream.job.io;

import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;

/**
 * A metric group that keeps its counters in a map, by full name: each {@code key=value,} label in
 * the order added, then the metric's name ({@code "sink=predictions,reason=aborted,name"}).
 */
final class RecordingMetricGroup extends UnregisteredMetricsGroup {
    private final Map<String, Counter> counters;
    private final String path;

    RecordingMetricGroup(Map<String, Counter> counters, String path) {
        this.counters = counters;
        this.path = path;
    }

    @Override
    public MetricGroup addGroup(String key, String value) {
        return new RecordingMetricGroup(counters, path + key + "=" + value + ",");
    }

    @Override
    public Counter counter(String name) {
        return counters.computeIfAbsent(path + name, n -> new SimpleCounter());
    }
}
