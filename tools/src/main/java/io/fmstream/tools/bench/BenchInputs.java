package io.fmstream.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fmstream.core.model.BundleManifest;
import io.fmstream.core.records.SourceRef;
import io.fmstream.data.sim.HeartRateProfile;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.data.sim.SimulatedFleet;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** The benchmark's inputs: a simulated fleet as recorded chunks, and bundles with N task heads. */
public final class BenchInputs {

    private BenchInputs() {}

    /**
     * Chunks of 1 s from steady simulated devices at mixed rates, encoded as on the sensor topic.
     */
    public static List<SourceRef> simulatedInput(int deviceCount, int secondsPerDevice) {
        return simulatedInput(deviceCount, secondsPerDevice, 1_700_000_000_000_000L);
    }

    /**
     * As above, the devices' clocks starting at {@code t0Micros} (a multiple of the hop, so the
     * windows are the same whatever the start).
     */
    public static List<SourceRef> simulatedInput(
            int deviceCount, int secondsPerDevice, long t0Micros) {
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        long t0 = t0Micros;
        List<SourceRef> refs = new ArrayList<>();
        List<SimulatedDevice> fleet = new ArrayList<>();
        for (int d = 0; d < deviceCount; d++) {
            double rate =
                    SimulatedFleet.NATIVE_RATES_HZ.get(d % SimulatedFleet.NATIVE_RATES_HZ.size());
            fleet.add(
                    new SimulatedDevice(
                            "bench-" + d,
                            100 + d,
                            rate,
                            t0,
                            HeartRateProfile.resting(55 + 5 * (d % 20))));
        }
        long offset = 0;
        for (int s = 0; s < secondsPerDevice; s++) {
            for (SimulatedDevice device : fleet) {
                SensorChunk c = device.nextChunk((int) Math.round(device.sampleRateHz()));
                long appendMillis = (t0 + (s + 1) * 1_000_000L) / 1000;
                refs.add(
                        new SourceRef(
                                "sensor",
                                0,
                                offset++,
                                appendMillis,
                                c.getDeviceId().getBytes(StandardCharsets.UTF_8),
                                codec.encode(c)));
            }
        }
        return refs;
    }

    /**
     * A copy of the bundle whose manifest lists exactly {@code n} heads (cycling through its own).
     */
    public static Path bundleWithTasks(Path bundleDir, int n, Path target) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest =
                (ObjectNode) json.readTree(bundleDir.resolve(BundleManifest.FILE_NAME).toFile());
        ArrayNode own = (ArrayNode) manifest.get("heads");
        ArrayNode heads = json.createArrayNode();
        Map<String, String> copies = new HashMap<>(); // copy's file -> original file
        Set<String> headFiles = new HashSet<>(); // ONNX or not (linear heads are JSON)
        own.forEach(h -> headFiles.add(h.get("file").asText()));
        for (int i = 0; i < n; i++) {
            ObjectNode h = own.get(i % own.size()).deepCopy();
            if (i >= own.size()) {
                // A bundle names each model file once, so a copy gets its own (identical) file.
                String task = h.get("task").asText() + "_copy" + (i / own.size());
                String original = h.get("file").asText();
                int dot = original.lastIndexOf('.');
                String copy =
                        "heads/"
                                + task
                                + (dot > original.lastIndexOf('/') ? original.substring(dot) : "");
                copies.put(copy, original);
                h.put("task", task);
                h.put("file", copy);
            }
            heads.add(h);
        }
        manifest.set("heads", heads);
        try (Stream<Path> files = Files.walk(bundleDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path rel = bundleDir.relativize(p);
                if (rel.toString().startsWith("data") || rel.toString().isEmpty()) {
                    continue; // training datasets are not part of a bundle
                }
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target.resolve(rel));
                } else if (p.toString().endsWith(".onnx") || headFiles.contains(rel.toString())) {
                    Files.createDirectories(target.resolve(rel).getParent());
                    Files.copy(p, target.resolve(rel));
                }
            }
        }
        for (Map.Entry<String, String> copy : copies.entrySet()) {
            Files.createDirectories(target.resolve(copy.getKey()).getParent());
            Files.copy(bundleDir.resolve(copy.getValue()), target.resolve(copy.getKey()));
        }
        json.writerWithDefaultPrettyPrinter()
                .writeValue(target.resolve(BundleManifest.FILE_NAME).toFile(), manifest);
        return target;
    }
}
