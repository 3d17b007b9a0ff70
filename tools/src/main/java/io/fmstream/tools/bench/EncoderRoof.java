package io.fmstream.tools.bench;

import io.fmstream.core.model.EncoderRunner;
import io.fmstream.core.model.ModelBundle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The encoder alone on ready windows: the ceiling the job's encoder throughput is compared with.
 */
public final class EncoderRoof {

    private EncoderRoof() {}

    /**
     * The encoder alone on ready (random, z-scored) windows, batch after batch, from as many
     * threads as the job has slots, with the job's ONNX Runtime threads per slot: the most this
     * machine can embed with the job's resources, with no decoding, windowing or heads.
     */
    public static double measure(Path bundleDir, int batch, int callers, int threadsPerCaller)
            throws Exception {
        try (ModelBundle b = ModelBundle.load(bundleDir, threadsPerCaller)) {
            EncoderRunner encoder = b.encoder();
            int len = encoder.inputLength();
            float[] windows = new float[batch * len];
            Random random = new Random(7);
            for (int i = 0; i < windows.length; i++) {
                windows[i] = (float) random.nextGaussian();
            }
            AtomicLong embedded = new AtomicLong();
            AtomicBoolean measuring = new AtomicBoolean(false);
            AtomicBoolean stop = new AtomicBoolean(false);
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                Thread t =
                        new Thread(
                                () -> {
                                    float[] out = new float[batch * encoder.embeddingDim()];
                                    while (!stop.get()) {
                                        encoder.embed(windows, batch, out);
                                        if (measuring.get()) {
                                            embedded.addAndGet(batch);
                                        }
                                    }
                                },
                                "encoder-roof-" + c);
                t.start();
                threads.add(t);
            }
            Thread.sleep(1_000); // warm-up
            measuring.set(true);
            long start = System.nanoTime();
            Thread.sleep(5_000);
            long count = embedded.get();
            double seconds = (System.nanoTime() - start) / 1e9;
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            return count / seconds;
        }
    }
}
