package io.fmstream.tools;

import io.fmstream.core.replay.AnnotationTruth;
import io.fmstream.core.replay.RecordChunker;
import io.fmstream.core.wfdb.MitAnnotations;
import io.fmstream.core.wfdb.RecordLabels;
import io.fmstream.core.wfdb.WfdbHeader;
import io.fmstream.core.wfdb.WfdbRecord;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.SensorChunk;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Streams a real recording (WFDB header + signal file, e.g. from ../shared/data) into the sensor
 * topic as one device, at its original pace, accelerated, or as fast as possible, with the
 * record's annotations as ground truth when it has them.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replay a WFDB / MAT v4 record into the sensor topic as one device.",
            "Timestamps are rebased by default so the record ends no later than it is sent (nothing lies in "
                    + "the future of its Kafka append time) and starts on a whole 5 s, so windows line up with it."})
public final class ReplayCommand implements Callable<Integer> {

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--record", required = true,
            description = "Record path with or without .hea, e.g. ../shared/data/mitdb/100.")
    Path record;

    @Option(names = "--lead", description = "Signal to send (default: the first ECG lead).")
    String lead;

    @Option(names = "--device-id", description = "Device id (default: <folder>-<record>, e.g. mitdb-100).")
    String deviceId;

    @Option(names = "--speed", defaultValue = "1.0", description = "Record seconds per wall-clock second (default: ${DEFAULT-VALUE}).")
    double speed;

    @Option(names = "--as-fast-as-possible", description = "Send without pacing.")
    boolean asFastAsPossible;

    @Option(names = "--start", description = "Device time of the first sample, ISO-8601 (default: rebased, see above).")
    Instant start;

    @Option(names = "--chunk-seconds", defaultValue = "1.0", description = "Seconds per chunk (default: ${DEFAULT-VALUE}).")
    double chunkSeconds;

    @Option(names = "--topic", defaultValue = Topics.DEFAULT_SENSOR, description = "Sensor topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--ground-truth-topic", defaultValue = Topics.DEFAULT_GROUND_TRUTH,
            description = "Topic for the annotations' ground truth (default: ${DEFAULT-VALUE}); 'none' to skip.")
    String truthTopic;

    @Option(names = "--create-topics", description = "Create missing topics (sensor topic with LogAppendTime).")
    boolean createTopics;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions of created topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--progress-every", defaultValue = "5", description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    double progressEvery;

    @Override
    public Integer call() throws Exception {
        Path header = headerPath(record);
        double pace = asFastAsPossible ? Double.POSITIVE_INFINITY : speed;
        if (!(pace > 0)) {
            throw new IllegalArgumentException("--speed must be > 0");
        }
        WfdbHeader h = WfdbHeader.read(header);
        WfdbRecord rec = WfdbRecord.read(header, spec -> lead == null ? spec.isEcgLead() : spec.description().equals(lead));
        WfdbRecord.Signal signal = lead == null
                ? rec.firstEcgLead().orElseThrow(() -> new IllegalArgumentException(header + ": no ECG lead; pass --lead"))
                : rec.signal(lead).orElseThrow(() -> new IllegalArgumentException(header + ": no signal named '" + lead
                        + "'; it has " + h.signals().stream().map(WfdbHeader.SignalSpec::description).toList()));
        String device = deviceId != null ? deviceId
                : (header.toAbsolutePath().getParent().getFileName() + "-" + h.recordName()).toLowerCase(Locale.ROOT);
        double duration = signal.durationSeconds();
        long startMicros = start != null
                ? start.getEpochSecond() * 1_000_000L + start.getNano() / 1000
                : RecordChunker.rebasedStartMicros(System.currentTimeMillis() * 1000L, duration, pace, 5_000_000L);

        String truth = "none".equals(truthTopic) ? null : truthTopic;
        KafkaPublisher.requireReachable(bootstrapServers);
        Topics.ensure(bootstrapServers, topic, truth, createTopics, partitions);

        int chunkSamples = Math.max(1, (int) Math.round(chunkSeconds * signal.sampleRate()));
        RecordChunker chunker = RecordChunker.forSignal(device, signal, startMicros, chunkSamples);
        System.out.printf("replay: %s %s (%s Hz, %.0f s, gain %s/%s) as device %s, %s, first sample at %s%n",
                h.recordName(), signal.name(), signal.sampleRate(), duration, signal.gain(), signal.units(), device,
                Double.isInfinite(pace) ? "as fast as possible" : pace + "x", Instant.ofEpochMilli(startMicros / 1000));

        try (KafkaPublisher publisher = new KafkaPublisher(bootstrapServers, topic, truth)) {
            Path annotations = header.resolveSibling(h.recordName() + ".atr");
            if (truth != null && Files.exists(annotations)) {
                RecordLabels labels = RecordLabels.of(MitAnnotations.read(annotations), h);
                List<GroundTruth> spans = AnnotationTruth.spans(device, labels, startMicros, 10, 5,
                        "annotations " + h.directory().getFileName() + "/" + h.recordName());
                publisher.publishTruth(spans);
                System.out.printf("replay: %d ground-truth spans from %s%n", spans.size(), annotations.getFileName());
            }
            long wallStart = System.nanoTime();
            long lastProgress = wallStart;
            int sent = 0;
            while (chunker.hasNext()) {
                if (!Double.isInfinite(pace)) {
                    // A chunk leaves once its last sample has "happened" on the accelerated clock.
                    double due = (chunker.chunkEndMicros(chunker.position()) - startMicros) / 1e6 / pace;
                    long waitNanos = wallStart + (long) (due * 1e9) - System.nanoTime();
                    if (waitNanos > 0) {
                        Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
                    }
                }
                SensorChunk c = chunker.next();
                publisher.publishChunk(c);
                sent++;
                if (System.nanoTime() - lastProgress >= progressEvery * 1e9) {
                    lastProgress = System.nanoTime();
                    System.out.printf("replay: %.0f/%.0f s (%.0f%%), %d chunks sent, %d acknowledged%n",
                            chunker.position() / signal.sampleRate(), duration,
                            100.0 * chunker.position() / signal.length(), sent, publisher.acknowledged());
                }
            }
            publisher.flush();
            System.out.printf("replay: done, %d chunks of %s sent and acknowledged in %.1f s%n",
                    sent, device, (System.nanoTime() - wallStart) / 1e9);
        }
        return 0;
    }

    static Path headerPath(Path record) {
        String name = record.getFileName().toString();
        Path header = name.endsWith(".hea") ? record : record.resolveSibling(name + ".hea");
        if (!Files.isRegularFile(header)) {
            throw new IllegalArgumentException("No WFDB header " + header + " (give the record path with or without .hea)");
        }
        return header;
    }
}
