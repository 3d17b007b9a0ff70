package io.fmstream.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.window.DeviceStreamState;
import io.fmstream.core.window.DeviceWindowAssembler;
import io.fmstream.core.window.Offer;
import io.fmstream.core.window.SegmentCause;
import io.fmstream.core.window.WindowListener;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.schemas.DeadLetterReason;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.SignalType;
import io.fmstream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A generated, deterministic corpus of well over 1,000 hostile records interleaved with healthy
 * devices, run through the job's core (validator, then the window assembler per device, as the
 * keyed operator does): every bad record gets exactly its reason, misbehaving but well-formed
 * devices (reboots, rate changes, clock jumps both ways, year-long silences, resends in random
 * order) lose no chunk to a dead letter, the healthy devices' windows are bit for bit those of a
 * run without the corpus, and no record costs more than a bounded time.
 */
class HostileCorpusTest {

    private static final long S = 1_000_000L;
    private static final long T0 = 1_800_000_000L * S;
    private static final long APPEND_MILLIS = T0 / 1000 + 400_000_000L; // ~4.6 days later
    private static final RecordCodec<SensorChunk> CODEC = RecordCodec.forType(SensorChunk.class);
    private static final WindowSpec SPEC = WindowSpec.withDefaults(100.0, 10.0);
    private static final String[] HEALTHY = {"ok-128", "ok-250", "ok-360", "ok-500"};
    private static final double[] HEALTHY_RATES = {128, 250, 360, 500};

    private record Item(byte[] value, DeadLetterReason expected) {}

    @Test
    void everyBadRecordGetsItsReasonAndNothingElseChanges() {
        Random rnd = new Random(20261203);
        List<List<Item>> streams = new ArrayList<>();
        for (int d = 0; d < HEALTHY.length; d++) {
            streams.add(healthy(HEALTHY[d], HEALTHY_RATES[d]));
        }
        List<Item> bad = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            addValidatorRejects(bad, i, rnd);
        }
        streams.add(bad);
        for (int i = 0; i < 12; i++) {
            streams.add(misbehaving("odd-" + i, i, rnd));
        }
        List<Item> corpus = interleave(streams, rnd);
        assertThat(corpus.size()).isGreaterThan(1_000);
        assertThat(bad.size()).isGreaterThan(1_000);

        Run clean = new Run();
        for (int d = 0; d < HEALTHY.length; d++) {
            for (Item it : healthy(HEALTHY[d], HEALTHY_RATES[d])) {
                clean.feed(it.value);
            }
        }
        Run hostile = new Run();
        Map<DeadLetterReason, Integer> wanted = new EnumMap<>(DeadLetterReason.class);
        for (Item it : corpus) {
            DeadLetterReason got = hostile.feed(it.value);
            assertThat(got).as("record %s", hex(it.value)).isEqualTo(it.expected);
            if (it.expected != null) {
                wanted.merge(it.expected, 1, Integer::sum);
            }
        }
        // Every reason the validator and the assembler give is exercised.
        assertThat(wanted.keySet())
                .containsAll(
                        List.of(
                                DeadLetterReason.UNDECODABLE,
                                DeadLetterReason.UNKNOWN_SCHEMA,
                                DeadLetterReason.BAD_SAMPLE_RATE,
                                DeadLetterReason.UNSUPPORTED_SIGNAL,
                                DeadLetterReason.EMPTY_CHUNK,
                                DeadLetterReason.OVERSIZED_CHUNK,
                                DeadLetterReason.MALFORMED_SAMPLES,
                                DeadLetterReason.SATURATED,
                                DeadLetterReason.NON_FINITE,
                                DeadLetterReason.FUTURE,
                                DeadLetterReason.INCONSISTENT_STREAM,
                                DeadLetterReason.OVERLAP));
        for (String device : HEALTHY) {
            assertThat(hostile.windows(device)).isNotEmpty();
            assertThat(hostile.windows(device).keySet())
                    .containsExactlyElementsOf(clean.windows(device).keySet());
            clean.windows(device)
                    .forEach(
                            (start, w) ->
                                    assertThat(hostile.windows(device).get(start))
                                            .as("%s@%d", device, start)
                                            .containsExactly(w));
        }
        // Misbehaving devices: segments started, windows emitted, no key twice.
        assertThat(hostile.segments.keySet())
                .contains(
                        SegmentCause.REBOOT,
                        SegmentCause.RATE_CHANGE,
                        SegmentCause.CLOCK_JUMP,
                        SegmentCause.LONG_GAP);
        assertThat(hostile.duplicateKeys).isZero();
        System.out.printf(
                "hostile corpus: %d records (%d bad), slowest record %.2f ms, segments %s%n",
                corpus.size(), bad.size(), hostile.slowestNanos / 1e6, hostile.segments);
        // A record's cost is bounded (generous: the slowest healthy chunk costs well under 1 ms).
        assertThat(hostile.slowestNanos).isLessThan(250_000_000L);
    }

    /** Validator and assembler applied as the job applies them, one state per device. */
    private static final class Run implements WindowListener {
        final ChunkValidator validator =
                new ChunkValidator(ValidationRules.DEFAULTS, SignalType.ECG);
        final DeviceWindowAssembler assembler = new DeviceWindowAssembler(SPEC);
        final Map<String, DeviceStreamState> states = new HashMap<>();
        final Map<String, Map<Long, float[]>> windows = new HashMap<>();
        final Map<SegmentCause, Integer> segments = new EnumMap<>(SegmentCause.class);
        long duplicateKeys;
        long slowestNanos;
        long offset;

        DeadLetterReason feed(byte[] value) {
            long t = System.nanoTime();
            try {
                ChunkValidator.Result r =
                        validator.validate(
                                new SourceRef("sensor", 0, offset++, APPEND_MILLIS, null, value));
                if (r.deadLetter != null) {
                    return r.deadLetter.reason;
                }
                ChunkRecord c = r.chunk;
                DeviceStreamState s =
                        states.computeIfAbsent(c.deviceId, d -> assembler.newState(c));
                Offer o = assembler.offer(s, c, Long.MIN_VALUE, this);
                return switch (o.outcome()) {
                    case ACCEPTED, PENDING, DUPLICATE -> null;
                    case OVERLAP -> DeadLetterReason.OVERLAP;
                    case LATE -> DeadLetterReason.LATE;
                    case INCONSISTENT -> DeadLetterReason.INCONSISTENT_STREAM;
                };
            } finally {
                slowestNanos = Math.max(slowestNanos, System.nanoTime() - t);
            }
        }

        Map<Long, float[]> windows(String device) {
            return windows.getOrDefault(device, Map.of());
        }

        @Override
        public void emitted(WindowRecord w) {
            if (windows.computeIfAbsent(w.deviceId, d -> new LinkedHashMap<>())
                            .put(w.windowStartMicros, w.samples)
                    != null) {
                duplicateKeys++;
            }
        }

        @Override
        public void droppedIncomplete(String deviceId, long windowStartMicros, float missing) {}

        @Override
        public void segmentStarted(String deviceId, SegmentCause cause, long skipped) {
            segments.merge(cause, 1, Integer::sum);
        }
    }

    private static List<Item> healthy(String device, double rate) {
        List<Item> items = new ArrayList<>();
        for (int s = 0; s < 90; s++) {
            items.add(
                    new Item(
                            CODEC.encode(chunk(device, rate, (long) (s * rate), T0, (int) rate, s)),
                            null));
        }
        return items;
    }

    /**
     * Well-formed chunks of a device that misbehaves in way {@code kind % 6}: never dead letters.
     */
    private static List<Item> misbehaving(String device, int kind, Random rnd) {
        List<Item> items = new ArrayList<>();
        int rate = 250;
        for (int s = 0; s < 40; s++) {
            long index = (long) s * rate;
            long time = T0 + s * S;
            double r = rate;
            switch (kind % 6) {
                case 0 -> { // reboot after 20 s: the index restarts, 5 s later
                    if (s >= 20) {
                        index = (s - 20L) * rate;
                        time += 5 * S;
                    }
                }
                case 1 -> { // rate change after 20 s
                    if (s >= 20) {
                        r = 500;
                        index = (s - 20L) * 500;
                    }
                }
                case 2 -> { // clock forward by 3 s after 20 s
                    if (s >= 20) {
                        time += 3 * S;
                    }
                }
                case 3 -> { // clock back by 2 s after 20 s
                    if (s >= 20) {
                        time -= 2 * S;
                    }
                }
                case 4 -> { // a year of silence after 20 s (the first 20 s a year ago)
                    if (s >= 20) {
                        index += 365L * 24 * 3600 * rate;
                    } else {
                        time -= 365L * 24 * 3600 * S;
                    }
                }
                default -> { // chunk sizes that are not whole seconds, with exact resends
                }
            }
            byte[] v =
                    CODEC.encode(
                            chunk(
                                    device,
                                    r,
                                    index,
                                    time - Math.round(index * 1e6 / r),
                                    (int) r,
                                    s));
            items.add(new Item(v, null));
            if (kind % 6 == 5 && s % 3 == 0) {
                items.add(new Item(v, null)); // exact resend: a duplicate, not a dead letter
            }
        }
        if (kind % 6 == 5) {
            // Resends in random order within 10 s blocks (well inside the lateness). The first
            // chunk stays first: it anchors the device's stream, and data before it is LATE.
            for (int from = 1; from < items.size(); from += 10) {
                Collections.shuffle(items.subList(from, Math.min(items.size(), from + 10)), rnd);
            }
        }
        if (kind % 6 == 2) {
            // And, soon after them, a chunk that differs from accepted samples: an overlap.
            SensorChunk c = chunk(device, rate, 5L * rate, T0, rate, 99);
            items.add(8, new Item(CODEC.encode(c), DeadLetterReason.OVERLAP));
        }
        return items;
    }

    private static void addValidatorRejects(List<Item> out, int i, Random rnd) {
        String dev = "bad-" + i;
        byte[] garbage = new byte[1 + rnd.nextInt(64)];
        rnd.nextBytes(garbage);
        garbage[0] = 0x11; // never the single-object marker
        out.add(new Item(garbage, DeadLetterReason.UNDECODABLE));
        byte[] unknown = CODEC.encode(chunk(dev, 250, 0, T0, 250, i));
        unknown[3 + rnd.nextInt(6)] ^= (byte) (1 + rnd.nextInt(255));
        out.add(new Item(unknown, DeadLetterReason.UNKNOWN_SCHEMA));
        double[] rates = {0, -250, Double.NaN, Double.POSITIVE_INFINITY, 1e9, 49.9};
        SensorChunk c = chunk(dev, 250, 0, T0, 250, i);
        c.setSampleRateHz(rates[i % rates.length]);
        out.add(new Item(CODEC.encode(c), DeadLetterReason.BAD_SAMPLE_RATE));
        c = chunk(dev, 250, 0, T0, 250, i);
        c.setSignalType(SignalType.values()[i % 2 == 0 ? 0 : 2 + i % 2]);
        out.add(new Item(CODEC.encode(c), DeadLetterReason.UNSUPPORTED_SIGNAL));
        c = chunk(dev, 250, 0, T0, 250, i);
        c.setSamples(ByteBuffer.allocate(0));
        out.add(new Item(CODEC.encode(c), DeadLetterReason.EMPTY_CHUNK));
        c = chunk(dev, 250, 0, T0, 250, i);
        c.setSamples(
                ByteBuffer.allocate(2 * (ValidationRules.DEFAULT_MAX_SAMPLES_PER_CHUNK + 1 + i)));
        out.add(new Item(CODEC.encode(c), DeadLetterReason.OVERSIZED_CHUNK));
        c = chunk(dev, 250, 0, T0, 250, i);
        c.setSamples(ByteBuffer.allocate(2 * (i + 1) + 1));
        out.add(new Item(CODEC.encode(c), DeadLetterReason.MALFORMED_SAMPLES));
        c = chunk(dev, 250, 0, T0, 250, i);
        ByteBuffer sat = ByteBuffer.allocate(500).order(ByteOrder.LITTLE_ENDIAN);
        while (sat.hasRemaining()) {
            sat.putShort(i % 2 == 0 ? Short.MAX_VALUE : Short.MIN_VALUE);
        }
        sat.flip();
        c.setSamples(sat);
        out.add(new Item(CODEC.encode(c), DeadLetterReason.SATURATED));
        double[] gains = {Double.NaN, Double.NEGATIVE_INFINITY, 0, -200};
        c = chunk(dev, 250, 0, T0, 250, i);
        c.setGain(gains[i % gains.length]);
        out.add(new Item(CODEC.encode(c), DeadLetterReason.NON_FINITE));
        // finite, positive, and still mapping int16 beyond the float range (infinite samples)
        double[] tiny = {1e-40, Double.MIN_VALUE, 1e-35};
        c = chunk(dev, 250, 0, T0, 250, i);
        c.setGain(tiny[i % tiny.length]);
        out.add(new Item(CODEC.encode(c), DeadLetterReason.NON_FINITE));
        c = chunk(dev, 250, 0, T0, 250, i);
        c.setGain(1e-31);
        c.setBaseline(Integer.MIN_VALUE);
        out.add(new Item(CODEC.encode(c), DeadLetterReason.NON_FINITE));
        long[] future = {Long.MAX_VALUE, Long.MAX_VALUE - 1, APPEND_MILLIS * 1000 + 3600 * S};
        c = chunk(dev, 250, 0, future[i % future.length], 250, i);
        out.add(new Item(CODEC.encode(c), DeadLetterReason.FUTURE));
        c = chunk(dev, 250, 0, T0, 250, i);
        c.setFirstSampleIndex(i % 2 == 0 ? -1 - i : Long.MAX_VALUE - i);
        out.add(new Item(CODEC.encode(c), DeadLetterReason.INCONSISTENT_STREAM));
        c = chunk(dev, 250, 0, i % 2 == 0 ? Long.MIN_VALUE + i : -S * (i + 1), 250, i);
        out.add(new Item(CODEC.encode(c), DeadLetterReason.INCONSISTENT_STREAM));
        c = chunk("x".repeat(129 + 1000 * i), 250, 0, T0, 250, i);
        out.add(new Item(CODEC.encode(c), DeadLetterReason.UNDECODABLE));
        c = chunk(i % 2 == 0 ? "" : "   ", 250, 0, T0, 250, i);
        out.add(new Item(CODEC.encode(c), DeadLetterReason.UNDECODABLE));
        // Truncated and corrupted encodings of a good chunk.
        byte[] good = CODEC.encode(chunk(dev, 250, 0, T0, 250, i));
        byte[] cut = java.util.Arrays.copyOf(good, 10 + rnd.nextInt(good.length - 12));
        out.add(new Item(cut, DeadLetterReason.UNDECODABLE));
    }

    /** A chunk of a sinusoid; stream index 0 of its device at {@code anchorMicros}. */
    private static SensorChunk chunk(
            String device, double rate, long index, long anchorMicros, int count, int salt) {
        ByteBuffer b = ByteBuffer.allocate(2 * count).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < count; k++) {
            double t = (index + k) / rate;
            b.putShort((short) Math.round(300 * Math.sin(2 * Math.PI * 1.3 * t) + salt % 7));
        }
        b.flip();
        long time =
                anchorMicros == Long.MAX_VALUE || anchorMicros < 0
                        ? anchorMicros
                        : anchorMicros + Math.round(index * 1e6 / rate);
        return SensorChunk.newBuilder()
                .setDeviceId(device)
                .setSignalType(SignalType.ECG)
                .setSampleRateHz(rate)
                .setFirstSampleTimeMicros(time)
                .setFirstSampleIndex(index)
                .setSamples(b)
                .setGain(200)
                .build();
    }

    private static List<Item> interleave(List<List<Item>> streams, Random rnd) {
        List<Item> out = new ArrayList<>();
        int[] at = new int[streams.size()];
        int left = streams.stream().mapToInt(List::size).sum();
        while (left > 0) {
            int s = rnd.nextInt(streams.size());
            if (at[s] < streams.get(s).size()) {
                out.add(streams.get(s).get(at[s]++));
                left--;
            }
        }
        return out;
    }

    private static String hex(byte[] v) {
        String h = java.util.HexFormat.of().formatHex(v);
        return h.length() > 80 ? h.substring(0, 80) + "..." : h;
    }
}
