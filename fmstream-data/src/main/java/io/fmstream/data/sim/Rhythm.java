package io.fmstream.data.sim;

/**
 * Rhythm class of a stretch of simulated ECG, as a rhythm head would label it (the PhysioNet/CinC
 * 2017 classes Normal, AF, Other). The scenario sets it per segment; ground truth reports it per
 * span.
 *
 * <p>Deliberately separate from the wire enum {@code io.fmstream.schemas.Rhythm}, which carries the
 * {@code UNKNOWN} symbol Avro schema evolution needs (what a reader sees for a symbol a newer
 * writer added) and which a simulated segment never has; {@code Truths} maps one to the other. The
 * scenarios index arrays by this enum's ordinals.
 */
public enum Rhythm {
    /**
     * Sinus rhythm: every beat preceded by a P wave, RR varying only with respiration and small
     * jitter.
     */
    NORMAL,
    /**
     * Atrial fibrillation: no P waves, fibrillatory baseline (f waves), irregularly irregular RR.
     */
    AF,
    /**
     * Another abnormal rhythm; simulated as sinus rhythm with frequent premature ventricular
     * contractions.
     */
    OTHER
}
