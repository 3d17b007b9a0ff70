package io.fmstream.data.sim;

/**
 * How a simulated ventricular beat was initiated; selects its morphology ({@link
 * EcgWaveform#forKind}).
 */
public enum BeatKind {
    /** Conducted from a sinus P wave: normal P-QRS-T. */
    SINUS,
    /**
     * Conducted during atrial fibrillation: normal QRS-T, no P wave (the atria only fibrillate).
     */
    AF_CONDUCTED,
    /** Premature ventricular contraction: early, wide bizarre QRS without P, discordant T. */
    PVC
}
