package io.fmstream.it;

import io.fmstream.data.sim.HeartRateProfile;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.schemas.DeadLetterReason;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The integration tests' input: simulated devices, one uploading minutes late, one with a drop-out,
 * one that reboots, one that corrects its clock and one that changes its sample rate, and one bad
 * record of every kind, in three production phases. Built once, so two runs of the job see
 * byte-identical input.
 */
final class Fleet {

    static final long SECOND = 1_000_000L;
    static final String[] ON_TIME = {"dev-128", "dev-250", "dev-300", "dev-360", "dev-500"};
    static final double[] ON_TIME_RATES = {128, 250, 300, 360, 500};
    static final String GAPPY = "dev-gappy";
    static final String LATE = "dev-late";
    static final String REBOOT = "dev-reboot";
    static final String CLOCK_JUMP = "dev-clock-jump";
    static final String RATE_CHANGE = "dev-rate-change";

    /** Seconds of data of each on-time and late device. */
    static final int SECONDS = 62;

    /** Seconds of data of the gappy device, with [GAP_AT, GAP_AT + 1) missing. */
    static final int GAPPY_SECONDS = 82;

    static final int GAP_AT = 20;

    /** Phase A carries device time [0, SPLIT) s, phase B the rest. */
    static final int SPLIT = 30;

    /** Device time origin of on-time devices: 90 s ago, on the 5 s grid. */
    final long t0;

    /** The late device's origin: 5 minutes before the others. */
    final long t0Late;

    final List<Record> phaseA = new ArrayList<>();
    final List<Record> phaseB = new ArrayList<>();
    final List<Record> phaseLate = new ArrayList<>();

    /** Expected dead letters: original value bytes to the reason. */
    final Map<String, DeadLetterReason> expectedDeadLetters = new LinkedHashMap<>();

    final Set<String> expectedWindowKeys = new LinkedHashSet<>();

    private final RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);

    record Record(String key, byte[] value) {}

    Fleet(long nowMicros) {
        long grid = 5 * SECOND;
        t0 = Math.floorDiv(nowMicros - 90 * SECOND, grid) * grid;
        t0Late = t0 - 300 * SECOND;

        for (int d = 0; d < ON_TIME.length; d++) {
            SimulatedDevice device = device(ON_TIME[d], 11 + d, ON_TIME_RATES[d], t0, 60 + 10 * d);
            for (int s = 0; s < SECONDS; s++) {
                SensorChunk c = device.nextChunk((int) ON_TIME_RATES[d]);
                (s < SPLIT ? phaseA : phaseB).add(good(c));
                if (ON_TIME[d].equals("dev-250") && s == 10) {
                    phaseA.add(good(c)); // an exact resend: dropped as DUPLICATE, no dead letter
                }
                if (ON_TIME[d].equals("dev-360") && s == SPLIT - 1) {
                    SensorChunk overlap = copy(c);
                    overlap.setFirstSampleIndex(c.getFirstSampleIndex() + 180);
                    overlap.setFirstSampleTimeMicros(
                            device.sampleTimeMicros(c.getFirstSampleIndex() + 180));
                    phaseA.add(bad(overlap, DeadLetterReason.OVERLAP));
                }
            }
            expectWindows(ON_TIME[d], t0, 0, 50);
        }

        // In 0.2 s chunks, [GAP_AT, GAP_AT + 0.2) s missing. The records are produced in a
        // burst, a backlog for the job: its gap waits the lateness in Kafka append time (or the
        // watermark), however far the device's own clock runs on. Here it is given up when the
        // 256th chunk behind it arrives (stream.max-pending-chunks: 51.2 s of data), well before
        // the missing chunk, which is then LATE.
        SimulatedDevice gappy = device(GAPPY, 21, 250, t0, 90);
        SensorChunk missing = null;
        for (int i = 0; i < GAPPY_SECONDS * 5; i++) {
            SensorChunk c = gappy.nextChunk(50);
            if (i == GAP_AT * 5) {
                missing = c;
                continue;
            }
            (i < SPLIT * 5 ? phaseA : phaseB).add(good(c));
        }
        phaseB.add(bad(missing, DeadLetterReason.LATE));
        expectWindows(GAPPY, t0, 0, 70);

        addMisbehavingDevices();

        SimulatedDevice late = device(LATE, 31, 360, t0Late, 75);
        for (int s = 0; s < SECONDS; s++) {
            phaseLate.add(good(late.nextChunk(360)));
        }
        expectWindows(LATE, t0Late, 0, 50);

        addBadRecords(nowMicros);
    }

    /** Every record the fleet produces, good and bad. */
    int recordCount() {
        return phaseA.size() + phaseB.size() + phaseLate.size();
    }

    /**
     * Devices that reboot, correct their clock or switch their sample rate at the phase split:
     * every chunk is well-formed and none may be dead-lettered; each segment is windowed afresh.
     */
    private void addMisbehavingDevices() {
        // Reboot after 30 s, back 10 s later with its index from 0: segments [0,30) and [40,82).
        SimulatedDevice reboot = device(REBOOT, 41, 250, t0, 70);
        for (int s = 0; s < SECONDS + 10; s++) {
            SensorChunk c = reboot.nextChunk(250);
            if (s >= SPLIT) {
                c.setFirstSampleIndex(c.getFirstSampleIndex() - SPLIT * 250L);
                c.setFirstSampleTimeMicros(c.getFirstSampleTimeMicros() + 10 * SECOND);
            }
            (s < SPLIT ? phaseA : phaseB).add(good(c));
        }
        // The first segment's last window [20,30) is closed gap-filled at the reboot.
        expectWindows(REBOOT, t0, 0, 20);
        expectWindows(REBOOT, t0, 40, 70);

        // Clock corrected by +3 s after 30 s while the index runs on: segments [0,30), [33,65).
        SimulatedDevice clock = device(CLOCK_JUMP, 43, 250, t0, 80);
        for (int s = 0; s < SECONDS; s++) {
            SensorChunk c = clock.nextChunk(250);
            if (s >= SPLIT) {
                c.setFirstSampleTimeMicros(c.getFirstSampleTimeMicros() + 3 * SECOND);
            }
            (s < SPLIT ? phaseA : phaseB).add(good(c));
        }
        expectWindows(CLOCK_JUMP, t0, 0, 20);
        // The last segment's trailing windows stay open (the input does not end).
        expectWindows(CLOCK_JUMP, t0, 35, 50);

        // 250 Hz for 30 s, then 500 Hz from index 0: segments [0,30), [30,62).
        SimulatedDevice slow = device(RATE_CHANGE, 45, 250, t0, 90);
        SimulatedDevice fast = device(RATE_CHANGE, 46, 500, t0 + SPLIT * SECOND, 90);
        for (int s = 0; s < SECONDS; s++) {
            SensorChunk c = s < SPLIT ? slow.nextChunk(250) : fast.nextChunk(500);
            (s < SPLIT ? phaseA : phaseB).add(good(c));
        }
        expectWindows(RATE_CHANGE, t0, 0, 20);
        expectWindows(RATE_CHANGE, t0, 30, 50);
    }

    private void addBadRecords(long nowMicros) {
        phaseA.add(
                raw(
                        "bad-garbage",
                        "this is not avro".getBytes(StandardCharsets.UTF_8),
                        DeadLetterReason.UNDECODABLE));
        byte[] unknown = codec.encode(chunk("bad-schema", 250, t0, new short[250]));
        unknown[5] ^= 0x5a; // a fingerprint no published schema has
        phaseA.add(raw("bad-schema", unknown, DeadLetterReason.UNKNOWN_SCHEMA));
        phaseA.add(bad(chunk("bad-rate", 5, t0, new short[5]), DeadLetterReason.BAD_SAMPLE_RATE));
        phaseA.add(bad(chunk("bad-empty", 250, t0, new short[0]), DeadLetterReason.EMPTY_CHUNK));
        phaseA.add(
                bad(
                        chunk(
                                "bad-oversized",
                                250,
                                t0,
                                new short[IntegrationSettings.MAX_SAMPLES_PER_CHUNK + 1]),
                        DeadLetterReason.OVERSIZED_CHUNK));
        short[] clipped = new short[250];
        java.util.Arrays.fill(clipped, Short.MAX_VALUE);
        phaseA.add(bad(chunk("bad-saturated", 250, t0, clipped), DeadLetterReason.SATURATED));
        SensorChunk nanGain = chunk("bad-gain", 250, t0, new short[250]);
        nanGain.setGain(Double.NaN);
        phaseA.add(bad(nanGain, DeadLetterReason.NON_FINITE));
        phaseA.add(
                bad(
                        chunk("bad-future", 250, nowMicros + 3600 * SECOND, new short[250]),
                        DeadLetterReason.FUTURE));
        SensorChunk ppg = chunk("bad-signal", 250, t0, new short[250]);
        ppg.setSignalType(SignalType.PPG);
        phaseA.add(bad(ppg, DeadLetterReason.UNSUPPORTED_SIGNAL));
        SensorChunk odd = chunk("bad-odd-bytes", 250, t0, new short[250]);
        odd.setSamples(ByteBuffer.wrap(new byte[501]));
        phaseA.add(bad(odd, DeadLetterReason.MALFORMED_SAMPLES));
        SensorChunk before1970 = chunk("bad-epoch", 250, -SECOND, new short[250]);
        phaseA.add(bad(before1970, DeadLetterReason.INCONSISTENT_STREAM));
        SensorChunk hugeIndex = chunk("bad-index", 250, t0, new short[250]);
        hugeIndex.setFirstSampleIndex(Long.MAX_VALUE - 1);
        phaseA.add(bad(hugeIndex, DeadLetterReason.INCONSISTENT_STREAM));
        phaseA.add(
                bad(
                        chunk("bad-id-" + "x".repeat(10_000), 250, t0, new short[250]),
                        DeadLetterReason.UNDECODABLE));
    }

    private static SimulatedDevice device(
            String id, long seed, double rate, long start, double bpm) {
        return new SimulatedDevice(id, seed, rate, start, HeartRateProfile.resting(bpm));
    }

    private void expectWindows(
            String device, long origin, int firstStartSecond, int lastStartSecond) {
        for (int s = firstStartSecond; s <= lastStartSecond; s += 5) {
            expectedWindowKeys.add(device + "@" + (origin + s * SECOND));
        }
    }

    private Record good(SensorChunk c) {
        return new Record(c.getDeviceId(), codec.encode(c));
    }

    private Record bad(SensorChunk c, DeadLetterReason reason) {
        return raw(c.getDeviceId(), codec.encode(c), reason);
    }

    private Record raw(String key, byte[] value, DeadLetterReason reason) {
        expectedDeadLetters.put(java.util.HexFormat.of().formatHex(value), reason);
        return new Record(key, value);
    }

    private static SensorChunk chunk(
            String device, double rate, long startMicros, short[] samples) {
        ByteBuffer bytes =
                ByteBuffer.allocate(samples.length * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        bytes.asShortBuffer().put(samples);
        return SensorChunk.newBuilder()
                .setDeviceId(device)
                .setSignalType(SignalType.ECG)
                .setSampleRateHz(rate)
                .setFirstSampleTimeMicros(startMicros)
                .setFirstSampleIndex(0)
                .setSamples(bytes)
                .setGain(200)
                .build();
    }

    private static SensorChunk copy(SensorChunk c) {
        SensorChunk copy = SensorChunk.newBuilder(c).build();
        ByteBuffer samples = c.getSamples().duplicate();
        byte[] raw = new byte[samples.remaining()];
        samples.get(raw);
        raw[0] ^= 0x01; // different content
        copy.setSamples(ByteBuffer.wrap(raw));
        return copy;
    }
}
