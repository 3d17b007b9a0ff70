package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A fleet's verdict from its undisturbed runs together, not from the run with the median lag. */
class CapacityVerdictTest {

    @Test
    void aFleetIsHeldWhenMostOfItsRunsHeld() {
        // {1.9 s but growing, 2.0 s held, 6 s}: the median-lag run held, one run of three did
        assertThat(CapacityCommand.Verdict.of(List.of(false, true, false)).held()).isFalse();
        // {2.0 s held, 2.1 s with windows missing, 2.2 s held}: two of three held
        assertThat(CapacityCommand.Verdict.of(List.of(true, false, true)).held()).isTrue();
        assertThat(CapacityCommand.Verdict.of(List.of(true, false)).held())
                .as("one of two is not most")
                .isFalse();
        assertThat(CapacityCommand.Verdict.of(List.of(true)).held()).isTrue();
    }

    @Test
    void aFleetWithoutAnUndisturbedRunIsNeitherHeldNorRefused() {
        CapacityCommand.Verdict none = CapacityCommand.Verdict.of(List.of());
        assertThat(none.held()).isFalse();
        assertThat(none.valid()).isZero();
    }
}
