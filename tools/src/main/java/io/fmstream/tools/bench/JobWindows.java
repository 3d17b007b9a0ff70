package io.fmstream.tools.bench;

import io.fmstream.core.ingest.ChunkValidator;
import io.fmstream.core.ingest.ValidationRules;
import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.records.ChunkRecord;
import io.fmstream.core.records.SourceRef;
import io.fmstream.core.records.WindowRecord;
import io.fmstream.core.signal.WindowNormaliser;
import io.fmstream.core.window.DeviceStreamState;
import io.fmstream.core.window.DeviceWindowAssembler;
import io.fmstream.core.window.WindowListener;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.schemas.SignalType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The encoder's input exactly as the job makes it from the benchmark's chunks: decoded and
 * validated ({@link ChunkValidator}), resampled and windowed per device ({@link
 * DeviceWindowAssembler}), z-scored ({@link WindowNormaliser}). Why not random numbers: the roof
 * must be measured on what the job embeds, so that a difference between the two is the job's
 * overhead and nothing else.
 */
public final class JobWindows {

    private JobWindows() {}

    /** Rows of {@code manifest}'s encoder input, row-major, at most {@code max} windows. */
    public static float[] of(List<SourceRef> chunks, BundleManifest manifest, int max) {
        ChunkValidator validator =
                new ChunkValidator(
                        ValidationRules.DEFAULTS, SignalType.valueOf(manifest.signalType()));
        DeviceWindowAssembler assembler =
                new DeviceWindowAssembler(
                        WindowSpec.withDefaults(
                                manifest.inputSampleRateHz(), manifest.windowSeconds()));
        Map<String, DeviceStreamState> states = new HashMap<>();
        List<WindowRecord> windows = new ArrayList<>();
        WindowListener listener =
                new WindowListener() {
                    @Override
                    public void emitted(WindowRecord window) {
                        windows.add(window);
                    }

                    @Override
                    public void droppedIncomplete(String device, long start, float missing) {}
                };
        for (SourceRef ref : chunks) {
            if (windows.size() >= max) {
                break;
            }
            ChunkValidator.Result r = validator.validate(ref);
            if (r.chunk == null) {
                throw new IllegalStateException("benchmark chunk rejected: " + r.deadLetter);
            }
            ChunkRecord c = r.chunk;
            DeviceStreamState s = states.computeIfAbsent(c.deviceId, d -> assembler.newState(c));
            assembler.offer(s, c, Long.MIN_VALUE, listener);
        }
        int n = Math.min(max, windows.size());
        if (n == 0) {
            throw new IllegalStateException("no window from " + chunks.size() + " chunks");
        }
        int len = windows.get(0).samples.length;
        float[] rows = new float[n * len];
        for (int i = 0; i < n; i++) {
            WindowNormaliser.zscore(windows.get(i).samples, rows, i * len);
        }
        return rows;
    }
}
