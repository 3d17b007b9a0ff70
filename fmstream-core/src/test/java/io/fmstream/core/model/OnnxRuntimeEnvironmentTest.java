package io.fmstream.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;

class OnnxRuntimeEnvironmentTest {

    /**
     * Without the global pool (the JVM's environment existed before this class loader's first use:
     * a job submitted again to the same TaskManager), each session gets a pool of its own, which
     * must not spin between calls any more than the global one does.
     */
    @Test
    void perSessionPoolsDoNotSpinAndTheGlobalPoolIsUsedWhereItExists() throws Exception {
        OnnxRuntimeEnvironment global = OnnxRuntimeEnvironment.initialise(1);
        OnnxRuntimeEnvironment perSession = new OnnxRuntimeEnvironment(global.ort(), 2, false);
        try (OrtSession.SessionOptions options = perSession.newSessionOptions()) {
            assertThat(options.getConfigEntries())
                    .containsEntry(OnnxRuntimeEnvironment.ALLOW_SPINNING, "0");
        }
        if (global.globalThreadPool()) {
            try (OrtSession.SessionOptions options = global.newSessionOptions()) {
                assertThat(options.getConfigEntries())
                        .doesNotContainKey(OnnxRuntimeEnvironment.ALLOW_SPINNING);
            }
        }
    }
}
