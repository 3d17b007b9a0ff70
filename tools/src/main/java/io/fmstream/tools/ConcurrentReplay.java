package io.fmstream.tools;

import io.fmstream.core.window.WindowPhase;
import io.fmstream.core.window.WindowSpec;
import io.fmstream.data.replay.AnnotationTruth;
import io.fmstream.data.replay.RecordChunker;
import io.fmstream.data.wfdb.MitAnnotations;
import io.fmstream.data.wfdb.RecordLabels;
import io.fmstream.data.wfdb.WfdbException;
import io.fmstream.data.wfdb.WfdbHeader;
import io.fmstream.data.wfdb.WfdbRecord;
import io.fmstream.schemas.GroundTruth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Replays many records at once through one {@link KafkaPublisher}, each record as its own device.
 *
 * <p>Each in-flight record is a chain of tasks on a small scheduled pool: a task sends the chunks
 * that are due, then schedules the next task for the record's next due chunk. A record never has
 * two tasks at once, so its sends are issued in chunk order (one key, one partition, idempotent
 * producer: the broker keeps that order), while records paced on their own clocks interleave
 * freely. No thread sleeps per record, so a few threads serve thousands of records; at most {@code
 * concurrency} records are loaded in memory, and a finished record (every send acknowledged or
 * failed) makes room for the next.
 *
 * <p>A record fails on its own: its first failed send (or read) stops it and it is reported by
 * name, while the others go on.
 */
final class ConcurrentReplay {

    /** One selected record, already checked: its header, the signal to send and its device id. */
    record Source(Path header, WfdbHeader wfdb, WfdbHeader.SignalSpec signal, String device) {
        String name() {
            return header.toAbsolutePath().getParent().getFileName() + "/" + wfdb.recordName();
        }
    }

    /**
     * @param pace record seconds per wall-clock second, infinite for as fast as possible
     * @param startMicros device time of every record's first sample, null to rebase each record
     * @param windowPhase the job's {@code fmstream.window.phase}: a rebased record starts on its
     *     device's window grid
     */
    record Settings(
            double pace,
            Long startMicros,
            double chunkSeconds,
            int concurrency,
            boolean truth,
            double progressEverySeconds,
            WindowPhase windowPhase) {}

    record Summary(
            int total,
            int replayed,
            int failed,
            long chunks,
            long truthSpans,
            double seconds,
            List<String> failedDevices) {}

    /**
     * Rebased records start on their device's window grid (a whole hop, 5 s, plus the device's
     * phase), so the job's windows line up with their first sample and with the ground-truth spans.
     */
    private static final long ALIGN_MICROS = 5_000_000L;

    /**
     * A device's phase on the job's grid for the shipped bundles (100 Hz model rate, 10 s windows
     * every 5 s, as the ground-truth spans assume), 0 on the epoch grid.
     */
    static long phaseMicros(String device, WindowPhase phase) {
        return WindowSpec.of(
                        100.0,
                        10,
                        Duration.ofMillis(ALIGN_MICROS / 1000),
                        WindowSpec.DEFAULT_ALLOWED_LATENESS,
                        WindowSpec.DEFAULT_MAX_MISSING_FRACTION,
                        phase)
                .phaseMicros(device);
    }

    /** Chunks one as-fast-as-possible task sends before yielding to the other records' tasks. */
    private static final int BURST = 64;

    private final KafkaPublisher publisher;
    private final List<Source> sources;
    private final Settings settings;
    private final Playback[] playbacks;
    private final ScheduledThreadPoolExecutor senders;
    private final ExecutorService loaders;
    private final CountDownLatch allFinished;
    private final LongAdder chunksSent = new LongAdder();
    private final LongAdder truthSent = new LongAdder();
    private final AtomicInteger failed = new AtomicInteger();
    private int nextToStart;
    private int inFlight;

    ConcurrentReplay(KafkaPublisher publisher, List<Source> sources, Settings settings) {
        this.publisher = publisher;
        this.sources = sources;
        this.settings = settings;
        this.playbacks = new Playback[sources.size()];
        this.allFinished = new CountDownLatch(sources.size());
        // Sending is cheap (the producer's own I/O thread does the network work); two threads keep
        // one slow send (a full buffer) from stalling every record. Loading reads files, so it gets
        // its own threads and never delays a due chunk.
        this.senders = new ScheduledThreadPoolExecutor(2, daemon("replay-send"));
        this.loaders = Executors.newFixedThreadPool(2, daemon("replay-load"));
    }

    Summary run() throws InterruptedException {
        long t0 = System.nanoTime();
        if (sources.size() > 1) {
            System.out.printf(
                    "replay: %d records, %s, up to %d at once, first %s, last %s%n",
                    sources.size(),
                    paceText(),
                    settings.concurrency,
                    sources.get(0).name(),
                    sources.get(sources.size() - 1).name());
        }
        try {
            startMore();
            long last = t0;
            long lastChunks = 0;
            long every = (long) (settings.progressEverySeconds * 1e9);
            while (!allFinished.await(every, TimeUnit.NANOSECONDS)) {
                long now = System.nanoTime();
                long chunks = chunksSent.sum();
                int inFlightNow;
                int started;
                synchronized (this) {
                    inFlightNow = inFlight;
                    started = nextToStart;
                }
                System.out.printf(
                        "replay: records %d done (%d failed), %d in flight, %d total; %d chunks"
                                + " sent, %.0f chunks/s%n",
                        started - inFlightNow,
                        failed.get(),
                        inFlightNow,
                        sources.size(),
                        chunks,
                        (chunks - lastChunks) / ((now - last) / 1e9));
                last = now;
                lastChunks = chunks;
            }
        } finally {
            senders.shutdownNow();
            loaders.shutdownNow();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<String> failedDevices = new ArrayList<>();
        for (Playback p : playbacks) {
            if (p.error.get() != null) {
                failedDevices.add(p.source.device);
            }
        }
        long chunks = chunksSent.sum();
        Summary s =
                new Summary(
                        sources.size(),
                        sources.size() - failedDevices.size(),
                        failedDevices.size(),
                        chunks,
                        truthSent.sum(),
                        seconds,
                        failedDevices);
        System.out.printf(
                "replay: finished in %.1f s: %d of %d records replayed, %d failed; %d chunks sent "
                        + "(%.0f chunks/s), %d ground-truth spans%n",
                seconds, s.replayed, s.total, s.failed, chunks, chunks / seconds, s.truthSpans);
        if (!failedDevices.isEmpty()) {
            System.err.println("replay: failed devices: " + String.join(", ", failedDevices));
        }
        return s;
    }

    private String paceText() {
        return Double.isInfinite(settings.pace) ? "as fast as possible" : settings.pace + "x";
    }

    /**
     * Starts records until {@code concurrency} are in flight; called at the start and whenever one
     * finishes.
     */
    private synchronized void startMore() {
        while (inFlight < settings.concurrency && nextToStart < sources.size()) {
            Playback p = new Playback(sources.get(nextToStart));
            playbacks[nextToStart] = p;
            nextToStart++;
            inFlight++;
            try {
                loaders.execute(p::begin);
            } catch (RejectedExecutionException e) {
                // Shutting down (interrupted): leave the rest unstarted.
                return;
            }
        }
    }

    private synchronized void finished() {
        inFlight--;
        startMore();
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static String describe(Throwable e) {
        return e instanceof WfdbException || e instanceof IllegalArgumentException
                ? e.getMessage()
                : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** One record in flight: its chunker, its clock and the outcome of its sends. */
    private final class Playback {
        final Source source;
        final AtomicReference<Throwable> error = new AtomicReference<>();

        /**
         * Sends not yet acknowledged or failed; the record is finished when all are sent and this
         * is 0.
         */
        final AtomicInteger outstanding = new AtomicInteger();

        final AtomicBoolean done = new AtomicBoolean();
        volatile boolean allSent;
        volatile int sent;
        int chunkCount;
        RecordChunker chunker;
        long startMicros;
        long wallStartNanos;

        Playback(Source source) {
            this.source = source;
        }

        /** Loads the record and starts its clock (a loader thread). */
        void begin() {
            try {
                WfdbRecord rec =
                        WfdbRecord.read(source.wfdb, s -> s.index() == source.signal.index());
                WfdbRecord.Signal signal = rec.signals().get(0);
                double duration = signal.durationSeconds();
                // Rebased now, when this record actually starts (it may have waited for a free
                // slot).
                startMicros =
                        settings.startMicros != null
                                ? settings.startMicros
                                : RecordChunker.rebasedStartMicros(
                                        System.currentTimeMillis() * 1000L,
                                        duration,
                                        settings.pace,
                                        ALIGN_MICROS,
                                        phaseMicros(source.device, settings.windowPhase));
                int chunkSamples =
                        Math.max(1, (int) Math.round(settings.chunkSeconds * signal.sampleRate()));
                chunker = RecordChunker.forSignal(source.device, signal, startMicros, chunkSamples);
                chunkCount = chunker.chunkCount();
                if (sources.size() == 1) {
                    System.out.printf(
                            "replay: %s %s (%s Hz, %.0f s, gain %s/%s%s) as device %s, %s,"
                                    + " first sample at %s%n",
                            source.wfdb.recordName(),
                            signal.name(),
                            signal.sampleRate(),
                            duration,
                            signal.gain(),
                            signal.units(),
                            signal.invalidCount() == 0
                                    ? ""
                                    : ", "
                                            + signal.invalidCount()
                                            + " invalid samples sent as gaps",
                            source.device,
                            paceText(),
                            Instant.ofEpochMilli(startMicros / 1000));
                }
                sendTruth();
                wallStartNanos = System.nanoTime();
                senders.execute(this::step);
            } catch (RejectedExecutionException e) {
                // Shutting down: nothing more to do.
            } catch (Throwable e) {
                fail(e);
            }
        }

        private void sendTruth() {
            Path annotations = source.header.resolveSibling(source.wfdb.recordName() + ".atr");
            if (!settings.truth || !Files.exists(annotations)) {
                return;
            }
            RecordLabels labels = RecordLabels.of(MitAnnotations.read(annotations), source.wfdb);
            List<GroundTruth> spans =
                    AnnotationTruth.spans(
                            source.device,
                            labels,
                            startMicros,
                            10,
                            5,
                            "annotations "
                                    + source.wfdb.directory().getFileName()
                                    + "/"
                                    + source.wfdb.recordName());
            for (GroundTruth g : spans) {
                outstanding.incrementAndGet();
                publisher.publishTruth(g, this::completed);
            }
            truthSent.add(spans.size());
            if (sources.size() == 1) {
                System.out.printf(
                        "replay: %d ground-truth spans from %s%n",
                        spans.size(), annotations.getFileName());
            }
        }

        /**
         * Sends what is due, then schedules itself for the next chunk (a sender thread; never two
         * at once).
         */
        void step() {
            try {
                int burst = 0;
                while (chunker.hasNext() && error.get() == null) {
                    if (Double.isInfinite(settings.pace)) {
                        if (burst == BURST) {
                            senders.execute(this::step);
                            return;
                        }
                    } else {
                        // A chunk leaves once its last sample has "happened" on the record's
                        // accelerated clock.
                        double due =
                                (chunker.chunkEndMicros(chunker.position()) - startMicros)
                                        / 1e6
                                        / settings.pace;
                        long wait = wallStartNanos + (long) (due * 1e9) - System.nanoTime();
                        if (wait > 0) {
                            senders.schedule(this::step, wait, TimeUnit.NANOSECONDS);
                            return;
                        }
                    }
                    outstanding.incrementAndGet();
                    publisher.publishChunk(chunker.next(), this::completed);
                    sent++;
                    chunksSent.increment();
                    burst++;
                }
                allSent = true;
                finishIfDone();
            } catch (RejectedExecutionException e) {
                // Shutting down: nothing more to do.
            } catch (Throwable e) {
                fail(e);
            }
        }

        /** A send's outcome (the producer's I/O thread). */
        void completed(Exception e) {
            if (e != null) {
                error.compareAndSet(null, e);
            }
            outstanding.decrementAndGet();
            finishIfDone();
        }

        void fail(Throwable e) {
            error.compareAndSet(null, e);
            allSent = true;
            finishIfDone();
        }

        private void finishIfDone() {
            if (!allSent || outstanding.get() != 0 || !done.compareAndSet(false, true)) {
                return;
            }
            chunker = null; // the samples: the next record may need the memory
            Throwable e = error.get();
            if (e != null) {
                failed.incrementAndGet();
                String progress =
                        chunkCount > 0 ? " after " + sent + " of " + chunkCount + " chunks" : "";
                System.err.printf(
                        "replay: FAILED %s as device %s%s: %s%n",
                        source.name(), source.device, progress, describe(e));
            }
            finished();
            allFinished.countDown();
        }
    }
}
