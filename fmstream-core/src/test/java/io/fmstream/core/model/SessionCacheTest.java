package io.fmstream.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SessionCacheTest {

    @Test
    void sharesOneSessionPerShaAndClosesItWithTheLastHandle() throws Exception {
        SessionCache cache = new SessionCache(); // private instance: independent of other tests
        OnnxRuntimeEnvironment env = OnnxRuntimeEnvironment.initialise(1);
        byte[] model = Files.readAllBytes(FixtureBundle.dir().resolve("heads/rhythm.onnx"));
        String sha = Sha256.hex(model);

        SessionCache.Handle a = cache.acquire(env, sha, model, "rhythm");
        SessionCache.Handle b = cache.acquire(env, sha, model, "rhythm");
        assertThat(b.session()).isSameAs(a.session());
        assertThat(cache.referenceCount(sha)).isEqualTo(2);
        assertThat(cache.openSessionCount()).isEqualTo(1);

        a.close();
        a.close();
        assertThat(cache.referenceCount(sha)).isEqualTo(1);
        assertThatThrownBy(a::session)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(b.session().getInputNames()).containsExactly("embedding");

        b.close();
        assertThat(cache.referenceCount(sha)).isZero();
        assertThat(cache.openSessionCount()).isZero();

        SessionCache.Handle c = cache.acquire(env, sha, model, "rhythm");
        assertThat(cache.openSessionCount()).isEqualTo(1);
        c.close();
    }

    @Test
    void refusesBytesThatDoNotMatchTheKey() throws IOException {
        SessionCache cache = new SessionCache();
        byte[] model = Files.readAllBytes(FixtureBundle.dir().resolve("heads/rhythm.onnx"));
        assertThatThrownBy(
                        () ->
                                cache.acquire(
                                        OnnxRuntimeEnvironment.initialise(1),
                                        "0".repeat(64),
                                        model,
                                        "rhythm"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rhythm");
        assertThat(cache.openSessionCount()).isZero();
    }

    @Test
    void concurrentAcquireAndReleaseLeavesNothingOpen() throws Exception {
        SessionCache cache = new SessionCache();
        OnnxRuntimeEnvironment env = OnnxRuntimeEnvironment.initialise(1);
        byte[] model = Files.readAllBytes(FixtureBundle.dir().resolve("heads/signal_quality.onnx"));
        String sha = Sha256.hex(model);
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<OrtSession>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(
                        pool.submit(
                                () -> {
                                    start.await();
                                    List<OrtSession> seen = new ArrayList<>();
                                    for (int i = 0; i < 50; i++) {
                                        try (SessionCache.Handle h =
                                                cache.acquire(env, sha, model, "signal_quality")) {
                                            seen.add(h.session());
                                        }
                                    }
                                    return seen;
                                }));
            }
            SessionCache.Handle held = cache.acquire(env, sha, model, "signal_quality");
            start.countDown();
            for (Future<List<OrtSession>> f : futures) {
                // While one handle is held throughout, every thread must see that same session.
                assertThat(f.get(60, TimeUnit.SECONDS))
                        .allSatisfy(s -> assertThat(s).isSameAs(held.session()));
            }
            assertThat(cache.referenceCount(sha)).isEqualTo(1);
            held.close();
            assertThat(cache.openSessionCount()).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void laterCallersCannotChangeTheThreadCount() {
        OnnxRuntimeEnvironment first = OnnxRuntimeEnvironment.initialise(1);
        OnnxRuntimeEnvironment again =
                OnnxRuntimeEnvironment.initialise(first.intraOpThreads() + 3);
        assertThat(again).isSameAs(first);
        assertThat(again.intraOpThreads()).isEqualTo(first.intraOpThreads());
        assertThatThrownBy(() -> OnnxRuntimeEnvironment.initialise(0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
