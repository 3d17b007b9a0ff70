package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.signal.WindowNormaliser;
import io.fmstream.core.window.WindowPhase;
import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.dataset.WindowDatasetBuilder;
import io.fmstream.data.replay.RecordChunker;
import io.fmstream.data.wfdb.WfdbRecord;
import io.fmstream.job.FmstreamJob;
import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.JobSettings;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.tools.bench.RecordedSensorSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Train/serve parity: a recording through the dataset builder (what the model is trained on) and
 * through the running job (what the encoder is fed in production, on a MiniCluster at parallelism
 * 2) gives the same normalised windows, within 1e-6.
 */
class WindowParityIntegrationTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = RunningJob.miniCluster(RunningJob.PARALLELISM);

    @Test
    void mitdb100GivesTheSameWindowsInTheDatasetBuilderAndInTheJob() throws Exception {
        Path header = RepositoryLayout.testData().resolve("mitdb/100.hea");

        WindowDatasetBuilder builder = new WindowDatasetBuilder();
        String device = builder.addRecord(header, false).get(0);
        Map<Long, float[]> training = new HashMap<>();
        List<float[]> windows = builder.windowsOf(device);
        List<Float> starts = builder.windowStartsOf(device);
        for (int i = 0; i < windows.size(); i++) {
            training.put(Math.round(starts.get(i) * 1e6), windows.get(i));
        }
        assertThat(training).hasSize(360);

        Map<Long, float[]> serving = new HashMap<>();
        for (WindowRecord w : runJob(header)) {
            float[] normalised = new float[w.samples.length];
            WindowNormaliser.zscore(w.samples, normalised, 0);
            float[] previous =
                    serving.put(
                            w.windowStartMicros - WindowDatasetBuilder.RECORD_START_MICROS,
                            normalised);
            assertThat(previous).as("window emitted twice").isNull();
        }
        // Name the differing window starts rather than print 360 keys each side.
        assertThat(new TreeSet<>(serving.keySet()))
                .as("window starts (µs) the job emitted")
                .containsExactlyElementsOf(new TreeSet<>(training.keySet()));
        double maxDiff = 0;
        for (Map.Entry<Long, float[]> e : training.entrySet()) {
            float[] a = e.getValue();
            float[] b = serving.get(e.getKey());
            assertThat(b).hasSameSizeAs(a);
            for (int i = 0; i < a.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            }
        }
        assertThat(maxDiff).as("largest sample difference").isLessThanOrEqualTo(1e-6);
    }

    /**
     * mitdb/100's first ECG lead as 1 s chunks through the job's topology; the assembler's windows.
     */
    private static List<WindowRecord> runJob(Path header) throws Exception {
        WfdbRecord record = WfdbRecord.read(header, spec -> spec.isEcgLead());
        WfdbRecord.Signal signal = record.firstEcgLead().orElseThrow();
        RecordChunker chunker =
                RecordChunker.forSignal(
                        "mitdb-100",
                        signal,
                        WindowDatasetBuilder.RECORD_START_MICROS,
                        (int) Math.round(signal.sampleRate()));
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        List<SourceRef> input = new ArrayList<>();
        long offset = 0;
        while (chunker.hasNext()) {
            int at = chunker.position();
            SensorChunk c = chunker.next();
            // As on a LogAppendTime topic: appended when its last sample has happened.
            input.add(
                    new SourceRef(
                            "sensor",
                            0,
                            offset++,
                            chunker.chunkEndMicros(at) / 1000,
                            c.getDeviceId().getBytes(StandardCharsets.UTF_8),
                            codec.encode(c)));
        }

        Configuration conf = IntegrationSettings.forRun("unused:9092", "parity");
        // The dataset builder cuts a record from its first sample on the epoch grid; the job's
        // per-device phase cuts the same stream elsewhere (DeviceWindowPhaseTest: bit for bit the
        // same samples). Parity is about the samples, so the job runs on the builder's grid.
        conf.set(FmstreamOptions.WINDOW_PHASE, WindowPhase.EPOCH);
        JobSettings settings = JobSettings.from(conf);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(RunningJob.PARALLELISM);
        FmstreamJob.configure(env, settings);
        // As the Kafka source delivers them: append-time event time, each device's chunks in order.
        DataStream<SourceRef> source = RecordedSensorSource.of(env, input);
        List<WindowRecord> out = new ArrayList<>();
        try (CloseableIterator<WindowRecord> it =
                FmstreamJob.build(source, settings, FmstreamJob.readManifest(settings.bundleUri))
                        .windows
                        .executeAndCollect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }
}
