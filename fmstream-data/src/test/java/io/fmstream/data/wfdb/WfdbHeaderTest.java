package io.fmstream.data.wfdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WfdbHeaderTest {

    @Test
    void mitdb100HeaderDespiteLeadingCommentAndBlankLineBetweenSignals() {
        WfdbHeader h = WfdbHeader.read(SharedData.file("mitdb/100.hea"));

        assertThat(h.recordName()).isEqualTo("100");
        assertThat(h.numberOfSignals()).isEqualTo(2);
        assertThat(h.samplingFrequency()).isEqualTo(360.0);
        assertThat(h.numberOfSamples()).isEqualTo(650000);
        assertThat(h.durationSeconds()).isCloseTo(650000 / 360.0, within(1e-9));
        assertThat(h.baseTime()).isEmpty();
        assertThat(h.signals())
                .extracting(WfdbHeader.SignalSpec::description)
                .containsExactly("MLII", "V5");

        WfdbHeader.SignalSpec mlii = h.signals().get(0);
        assertThat(mlii.fileName()).isEqualTo("100.dat");
        assertThat(mlii.format()).isEqualTo(212);
        assertThat(mlii.samplesPerFrame()).isEqualTo(1);
        assertThat(mlii.byteOffset()).isZero();
        assertThat(mlii.gain()).isEqualTo(200.0);
        assertThat(mlii.units()).isEqualTo("mV"); // WFDB default, the field has no units
        assertThat(mlii.adcResolution()).isEqualTo(11);
        assertThat(mlii.adcZero()).isEqualTo(1024);
        assertThat(mlii.baseline()).isEqualTo(1024); // no (baseline): = ADC zero
        assertThat(mlii.initialValue()).isEqualTo(995);
        assertThat(mlii.checksum()).hasValue(-22131);
        assertThat(mlii.blockSize()).isZero();
        assertThat(mlii.line()).isEqualTo(3);

        WfdbHeader.SignalSpec v5 = h.signals().get(1);
        assertThat(v5.initialValue()).isEqualTo(1011);
        assertThat(v5.checksum()).hasValue(20052);
        assertThat(v5.line()).isEqualTo(5); // after the blank line

        assertThat(h.comments())
                .containsExactly("unnecessary comment", "69 M 1085 1629 x1", "Aldomet, Inderal");
    }

    @Test
    void mimicMultiRateFormatsAndGainWithBaselineAndUnits() {
        WfdbHeader h = WfdbHeader.read(SharedData.file("mimicdb/03700181.hea"));

        assertThat(h.samplingFrequency()).isEqualTo(125.0);
        assertThat(h.numberOfSamples()).isEqualTo(75000);
        assertThat(h.baseTime()).hasValue("17:27:45");
        assertThat(h.baseDate()).hasValue("15/08/1994");

        WfdbHeader.SignalSpec mcl1 = h.signals().get(0);
        assertThat(mcl1.description()).isEqualTo("MCL1"); // trailing space trimmed
        assertThat(mcl1.format()).isEqualTo(212);
        assertThat(mcl1.samplesPerFrame()).isEqualTo(4);
        assertThat(mcl1.sampleRate(h.samplingFrequency())).isEqualTo(500.0);
        assertThat(mcl1.gain()).isEqualTo(2963.77);
        assertThat(mcl1.units()).isEqualTo("mV");

        WfdbHeader.SignalSpec abp = h.signals().get(1);
        assertThat(abp.description()).isEqualTo("ABP");
        assertThat(abp.gain()).isEqualTo(12.84);
        assertThat(abp.baseline()).isEqualTo(-1605);
        assertThat(abp.adcZero()).isZero();
        assertThat(abp.units()).isEqualTo("mmHg");
        assertThat(abp.sampleRate(h.samplingFrequency())).isEqualTo(125.0);

        WfdbHeader.SignalSpec resp = h.signals().get(2);
        assertThat(resp.samplesPerFrame()).isEqualTo(1);
        assertThat(resp.skew()).isEqualTo(4);
        assertThat(resp.gain()).isEqualTo(2000.0);
    }

    @Test
    void matV4HeadersHaveFormat16WithA24ByteOffsetAndExponentGains() {
        WfdbHeader a103l = WfdbHeader.read(SharedData.file("cinc2015/a103l.hea"));
        assertThat(a103l.signals())
                .extracting(WfdbHeader.SignalSpec::description)
                .containsExactly("II", "V", "PLETH");
        WfdbHeader.SignalSpec v = a103l.signals().get(1);
        assertThat(v.format()).isEqualTo(16);
        assertThat(v.byteOffset()).isEqualTo(24);
        assertThat(v.gain()).isEqualTo(10520.0); // "1.052e+04/mV"
        assertThat(v.units()).isEqualTo("mV");
        assertThat(a103l.signals().get(2).units()).isEqualTo("NU");
        // cinc2015 keeps its labels in comments
        assertThat(a103l.comments()).containsExactly("Asystole", "False alarm");

        WfdbHeader a00001 = WfdbHeader.read(SharedData.file("cinc2017-train/A00001.hea"));
        assertThat(a00001.samplingFrequency()).isEqualTo(300.0);
        assertThat(a00001.numberOfSamples()).isEqualTo(9000);
        // cinc2017 writes an ISO date where WFDB expects the time: kept verbatim
        assertThat(a00001.baseTime()).hasValue("2014-05-08");
        assertThat(a00001.baseDate()).hasValue("05:05:15");
        WfdbHeader.SignalSpec ecg = a00001.signals().get(0);
        assertThat(ecg.fileName()).isEqualTo("A00001.mat");
        assertThat(ecg.format()).isEqualTo(16);
        assertThat(ecg.byteOffset()).isEqualTo(24);
        assertThat(ecg.gain()).isEqualTo(1000.0);
        assertThat(ecg.description()).isEqualTo("ECG");
    }

    @Test
    void ptbdbHeaderKeepsClinicalCommentsAfterBlankLines() {
        WfdbHeader h = WfdbHeader.read(SharedData.file("ptbdb/s0010_re.hea"));
        assertThat(h.numberOfSignals()).isEqualTo(15);
        assertThat(h.samplingFrequency()).isEqualTo(1000.0);
        assertThat(h.signals().get(12).fileName()).isEqualTo("s0010_re.xyz");
        assertThat(h.comments())
                .contains("Reason for admission: Myocardial infarction", "sex: female");
    }

    @Test
    void firstEcgSignalByDescription() {
        assertThat(WfdbHeader.read(SharedData.file("mitdb/100.hea")).firstEcgSignal())
                .map(WfdbHeader.SignalSpec::description)
                .hasValue("MLII");
        assertThat(WfdbHeader.read(SharedData.file("cinc2015/v102s.hea")).firstEcgSignal())
                .map(WfdbHeader.SignalSpec::description)
                .hasValue("II");
        assertThat(WfdbHeader.read(SharedData.file("mimicdb/03700181.hea")).firstEcgSignal())
                .map(WfdbHeader.SignalSpec::description)
                .hasValue("MCL1");
        assertThat(WfdbHeader.read(SharedData.file("ptbdb/s0010_re.hea")).firstEcgSignal())
                .map(WfdbHeader.SignalSpec::description)
                .hasValue("i");
    }

    @Test
    void ecgLeadNames() {
        for (String lead :
                List.of(
                        "ECG",
                        "ECG1",
                        "ecg lead II",
                        "EKG",
                        "MLII",
                        "MLI",
                        "I",
                        "II",
                        "III",
                        "i",
                        "ii",
                        "aVR",
                        "avl",
                        "AVF",
                        "V",
                        "V1",
                        "v6",
                        "V4R",
                        "MCL1",
                        "CM5",
                        "vx",
                        "VZ")) {
            assertThat(WfdbHeader.isEcgLead(lead)).as(lead).isTrue();
        }
        for (String other :
                List.of("PLETH", "ABP", "RESP", "PAP", "CVP", "SpO2", "ART", "Resp", "NBP", "")) {
            assertThat(WfdbHeader.isEcgLead(other)).as(other).isFalse();
        }
    }

    @Test
    void optionalFieldsAndFrequencySyntax() {
        WfdbHeader h =
                WfdbHeader.parse(
                        "inline",
                        List.of(
                                "rec 3 250/1000(5) 1000",
                                "rec.dat 16x2:100+512 200(500)/uV 12 2048 0 0 0 Channel A with"
                                        + " spaces",
                                "rec.dat 16 0",
                                "rec2.dat 80"));
        assertThat(h.samplingFrequency()).isEqualTo(250.0);
        assertThat(h.counterFrequency()).hasValue(1000.0);
        assertThat(h.baseCounter()).isEqualTo(5.0);
        WfdbHeader.SignalSpec a = h.signals().get(0);
        assertThat(a.samplesPerFrame()).isEqualTo(2);
        assertThat(a.skew()).isEqualTo(100);
        assertThat(a.byteOffset()).isEqualTo(512);
        assertThat(a.baseline()).isEqualTo(500);
        assertThat(a.units()).isEqualTo("uV");
        assertThat(a.description()).isEqualTo("Channel A with spaces");
        WfdbHeader.SignalSpec b = h.signals().get(1);
        assertThat(b.gain()).isEqualTo(WfdbHeader.DEFAULT_GAIN); // 0 means 200
        assertThat(b.adcResolution()).isEqualTo(16);
        assertThat(b.checksum()).isEmpty();
        assertThat(b.description()).isEqualTo("record rec, signal 1");
        WfdbHeader.SignalSpec c = h.signals().get(2);
        assertThat(c.gain()).isEqualTo(200.0);
        assertThat(c.adcResolution()).isEqualTo(8);
    }

    @Test
    void recordLineWithoutFrequencyUsesWfdbDefault() {
        WfdbHeader h = WfdbHeader.parse("inline", List.of("rec 0"));
        assertThat(h.samplingFrequency()).isEqualTo(250.0);
        assertThat(h.numberOfSamples()).isZero();
        assertThat(h.signals()).isEmpty();
    }

    @Test
    void malformedHeadersNameFileAndLine() {
        assertThatThrownBy(
                        () ->
                                WfdbHeader.parse(
                                        "bad.hea",
                                        List.of("# c", "rec 1 360 10", "rec.dat 212 abc/mV")))
                .isInstanceOf(WfdbException.class)
                .hasMessageStartingWith("bad.hea:3: signal 0: ADC gain \"abc\" is not a number");
        assertThatThrownBy(
                        () -> WfdbHeader.parse("bad.hea", List.of("rec 2 360 10", "rec.dat 212")))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining("bad.hea")
                .hasMessageContaining("declares 2 signals but only 1");
        assertThatThrownBy(
                        () -> WfdbHeader.parse("bad.hea", List.of("rec 1 360 10", "rec.dat 212q4")))
                .isInstanceOf(WfdbException.class)
                .hasMessageStartingWith("bad.hea:2: signal 0: malformed format");
        assertThatThrownBy(
                        () -> WfdbHeader.parse("bad.hea", List.of("rec 1 360 10", "rec.dat 999")))
                .isInstanceOf(WfdbException.class)
                .hasMessageStartingWith("bad.hea:2: signal 0: unknown signal format 999");
        assertThatThrownBy(() -> WfdbHeader.parse("bad.hea", List.of("rec x 360")))
                .isInstanceOf(WfdbException.class)
                .hasMessageStartingWith("bad.hea:1: number of signals \"x\" is not an integer");
        assertThatThrownBy(() -> WfdbHeader.parse("bad.hea", List.of("rec/3 2 360")))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining("multi-segment");
        assertThatThrownBy(() -> WfdbHeader.parse("bad.hea", List.of("# only a comment")))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining("no record line");
        assertThatThrownBy(
                        () ->
                                WfdbHeader.parse(
                                        "bad.hea",
                                        List.of("rec 1 360 10", "rec.dat 212", "extra 16")))
                .isInstanceOf(WfdbException.class)
                .hasMessageStartingWith("bad.hea:3: unexpected line");
    }

    @Test
    void missingHeaderFileNamesIt(@TempDir Path dir) {
        Path missing = dir.resolve("nope.hea");
        assertThatThrownBy(() -> WfdbHeader.read(missing))
                .isInstanceOf(WfdbException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("not found");
    }

    @Test
    void crlfLineEndingsAreAccepted(@TempDir Path dir) throws IOException {
        Path hea = dir.resolve("r.hea");
        Files.writeString(hea, "r 1 100 4\r\nr.dat 16 100/mV 16 0 1 2 0 ECG\r\n#label\r\n");
        WfdbHeader h = WfdbHeader.read(hea);
        assertThat(h.signals().get(0).description()).isEqualTo("ECG");
        assertThat(h.comments()).containsExactly("label");
        assertThat(h.signalFile(h.signals().get(0)))
                .isEqualTo(dir.toAbsolutePath().resolve("r.dat"));
    }
}
