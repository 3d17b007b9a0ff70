package io.fmstream.tools.audit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WindowAuditTest {

    private static final long S = 1_000_000L;

    @Test
    void classifiesWindowsByTheChunksTheSimulatorSentNotByWhatTheJobSaw() {
        WindowAudit audit = new WindowAudit(10 * S, 5 * S, 15 * S);
        for (long t = 0; t < 60; t++) {
            if (t != 20) { // chunk [20,21) lost
                audit.truth("d", t * S, (t + 1) * S, 0);
            }
        }
        audit.window("d", 0, 100);
        audit.window("d", 5 * S, 120);
        audit.window("d", 10 * S, 60_000); // touches the gap through the reach
        audit.window("d", 25 * S, 150);
        audit.window("d", 25 * S, 150); // the same key twice
        WindowAudit.Report r = audit.report();
        // [0,10) reaches before the first sample and [10,20) into the lost chunk: both touch.
        assertThat(r.clear().windows()).isEqualTo(2);
        assertThat(r.clear().max()).isEqualTo(150);
        assertThat(r.touching().windows()).isEqualTo(2);
        assertThat(r.touching().p99()).isEqualTo(60_000);
        assertThat(r.duplicateKeys()).isEqualTo(1);
        // Settled clear windows (ending by 60 - 15 = 45 s): [5,15), [25,35), [30,40), [35,45).
        assertThat(r.expectedClear()).isEqualTo(4);
        assertThat(r.emittedClear()).isEqualTo(2);
        assertThat(r.clearEmittedFraction()).isEqualTo(0.5);
    }

    /**
     * The embeddings' idempotency key carries the encoder: the same window from a second bundle
     * (rolled out over replayed input) is not a duplicate; from the same encoder twice it is.
     */
    @Test
    void aWindowFromASecondEncoderIsNotADuplicate() {
        WindowAudit audit = new WindowAudit(10 * S, 5 * S, 15 * S);
        for (long t = 0; t < 30; t++) {
            audit.truth("d", t * S, (t + 1) * S, 0);
        }
        audit.window("d", 5 * S, "aaaa", 100);
        audit.window("d", 5 * S, "bbbb", 100);
        assertThat(audit.report().duplicateKeys()).isZero();
        assertThat(audit.report().clear().windows()).isEqualTo(1);
        audit.window("d", 5 * S, "bbbb", 100);
        assertThat(audit.report().duplicateKeys()).isEqualTo(1);
    }

    @Test
    void expectsEachDevicesWindowsOnItsOwnPhase() {
        // Device d's grid shifted by 2 s: windows [2,12), [7,17), ...
        WindowAudit audit = new WindowAudit(10 * S, 5 * S, 10 * S, device -> 2 * S);
        for (long t = 0; t < 40; t++) {
            audit.truth("d", t * S, (t + 1) * S, 0);
        }
        audit.window("d", 2 * S, 100);
        audit.window("d", 7 * S, 100);
        audit.window("d", 5 * S, 100); // an epoch-grid start: not one of d's windows
        WindowAudit.Report r = audit.report();
        // Settled (ending by 30 s): [2,12), [7,17), [12,22), [17,27); [0,10)'s reach is outside.
        assertThat(r.expectedClear()).isEqualTo(4);
        assertThat(r.emittedClear()).isEqualTo(2);
    }

    @Test
    void spansWithDroppedSamplesCoverNothing() {
        WindowAudit audit = new WindowAudit(10 * S, 5 * S, 0);
        audit.truth("d", 0, 20 * S, 0);
        audit.truth("d", 20 * S, 21 * S, 0.5);
        audit.truth("d", 21 * S, 40 * S, 0);
        assertThat(audit.covered("d", 0, 20 * S)).isTrue();
        assertThat(audit.covered("d", 15 * S, 25 * S)).isFalse();
        assertThat(audit.covered("d", 21 * S, 40 * S)).isTrue();
        assertThat(audit.covered("other", 0, S)).isFalse();
    }
}
