package io.fmstream.tools.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SoakTest {

    @Test
    void sawTeethAndRestartDipsAreBoundedAndACycleOverCycleClimbIsGrowing() {
        List<Soak.Sample> flat = new ArrayList<>();
        List<Soak.Sample> climbing = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            double minutes = i * 0.25;
            // Heap saw-teeth around 300 MB (garbage collections), a dip after each kill (every
            // 5 min), no trend.
            double sinceKill = minutes % 5;
            double heap = sinceKill < 0.5 ? 50 : 300 + (i % 8) * 10;
            flat.add(new Soak.Sample(minutes, heap, 900, 50, 100, 0, ""));
            // Resident memory climbing 10 MB a minute from 900 MB, whatever the kills do.
            climbing.add(new Soak.Sample(minutes, heap, 900 + 10 * minutes, 50, 100, 0, ""));
        }
        assertThat(Soak.lastOverFirstCycle(flat, Soak.Sample::heapMb, 5, 1))
                .isCloseTo(1.0, within(0.05));
        // First cycle (1-5 min) mean 930 MB, last (11-15 min) 1,030 MB.
        assertThat(Soak.lastOverFirstCycle(climbing, Soak.Sample::rssMb, 5, 1))
                .isCloseTo(1029.5 / 929.5, within(0.01));
        assertThat(Soak.lastOverFirstCycle(flat.subList(0, 10), Soak.Sample::heapMb, 5, 1)).isNaN();
    }
}
