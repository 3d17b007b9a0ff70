import io.fmstream.core.records.*;
import io.fmstream.core.window.*;
import java.util.*;
public class AssemblerHarness {
  static final long T0 = 1_700_000_000L * 1_000_000L;
  static ChunkRecord chunk(String device, double rate, long index, int count, long t0) {
    short[] samples = new short[count];
    for (int i = 0; i < count; i++) { double t = (index + i) / rate;
      samples[i] = (short) Math.round(200 * (Math.sin(2 * Math.PI * 1.1 * t) + 0.3 * Math.sin(2 * Math.PI * 9 * t))); }
    ChunkRecord c = new ChunkRecord(); c.deviceId = device; c.sampleRateHz = rate; c.firstSampleIndex = index;
    c.firstSampleTimeMicros = t0 + Math.round(index * 1e6 / rate);
    c.samples = io.fmstream.core.signal.Int16Samples.encode(samples); c.gain = 200; c.baseline = 0;
    c.source = new SourceRef("sensor", 0, index, c.firstSampleTimeMicros / 1000, null, c.samples);
    return c;
  }
  public static void main(String[] a) {
    int devices = Integer.parseInt(a[0]); int seconds = Integer.parseInt(a[1]);
    // "inplace": each chunk's samples read in place from a payload, as the job's decoder leaves them
    boolean inPlace = a.length > 2 && a[2].equals("inplace");
    double[] rates = {128.0, 250.0, 300.0, 360.0, 500.0};
    WindowSpec spec = new WindowSpec(100.0, 10_000_000L, 5_000_000L, 60_000_000L, 0.2f);
    // chunks prepared up front (not timed)
    ChunkRecord[][] chunks = new ChunkRecord[seconds][devices];
    for (int d = 0; d < devices; d++) { double r = rates[d % rates.length]; long t0 = T0 + (d * 7919L) % 1_000_000L;
      for (int s = 0; s < seconds; s++) {
        ChunkRecord c = chunk("dev-" + d, r, (long) (s * r), (int) r, t0);
        if (inPlace) {
          byte[] payload = new byte[40 + c.samples.length];
          System.arraycopy(c.samples, 0, payload, 40, c.samples.length);
          c.source.payload = payload; c.samplesOffset = 40; c.samplesLength = c.samples.length; c.samples = null;
        }
        chunks[s][d] = c; } }
    final long[] windows = {0};
    WindowListener out = new WindowListener() {
      public void emitted(WindowRecord w) { windows[0]++; }
      public void droppedIncomplete(String id, long ws, float mf) {}
    };
    int reps = a.length > 3 ? Integer.parseInt(a[3]) : 20;
    for (int rep = 0; rep < reps; rep++) {
      DeviceWindowAssembler asm = new DeviceWindowAssembler(spec);
      DeviceStreamState[] st = new DeviceStreamState[devices];
      windows[0] = 0;
      com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
      long b0 = mx.getCurrentThreadAllocatedBytes();
      long t = System.nanoTime();
      for (int s = 0; s < seconds; s++) for (int d = 0; d < devices; d++) {
        ChunkRecord c = chunks[s][d];
        if (st[d] == null) st[d] = asm.newState(c);
        asm.offer(st[d], c, Long.MIN_VALUE, out);
      }
      long ns = System.nanoTime() - t;
      long bytes = mx.getCurrentThreadAllocatedBytes() - b0;
      System.out.printf("rep %d: %d windows, %.2f us per window, %.0f bytes allocated per window%n", rep, windows[0], ns / 1e3 / windows[0], (double) bytes / windows[0]);
    }
  }
}
