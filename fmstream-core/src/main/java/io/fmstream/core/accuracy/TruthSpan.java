package io.fmstream.core.accuracy;

/**
 * What a device's signal really was over a span (a {@code GroundTruth} record: the simulator's,
 * replay's annotations, or a clinician's label). A Flink POJO, kept in the accuracy job's state.
 */
public class TruthSpan {
    public String deviceId;

    /** Inclusive start and exclusive end, device time, microseconds since the epoch. */
    public long startMicros;

    public long endMicros;

    /** Mean heart rate; NaN when unknown (fewer than two beats). */
    public double heartRateBpm = Double.NaN;

    /** Majority rhythm: NORMAL, AF, OTHER or UNKNOWN. */
    public String rhythm = "UNKNOWN";

    /** RMS of the added noise, mV; NaN when unknown (real recordings). */
    public double noiseRmsMv = Double.NaN;

    public TruthSpan() {}

    public TruthSpan(
            String deviceId,
            long startMicros,
            long endMicros,
            double heartRateBpm,
            String rhythm,
            double noiseRmsMv) {
        this.deviceId = deviceId;
        this.startMicros = startMicros;
        this.endMicros = endMicros;
        this.heartRateBpm = heartRateBpm;
        this.rhythm = rhythm;
        this.noiseRmsMv = noiseRmsMv;
    }
}
