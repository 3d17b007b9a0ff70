// The resampler's dot product (StreamingResampler.interpolateLocated: four double partial sums,
// tap k into sum k mod 4) against the same sums as the four lanes of a 256-bit DoubleVector
// (Java 17 incubator Vector API). Checks both give the same float bit for bit at every output,
// then times them. Run: java --add-modules jdk.incubator.vector VectorDotHarness.java
import jdk.incubator.vector.*;
public class VectorDotHarness {
  static final VectorSpecies<Double> D = DoubleVector.SPECIES_256;
  static final VectorSpecies<Float> F = FloatVector.SPECIES_128;
  static float scalar(double[] w, float[] h, int f) {
    int taps = w.length - 1; double a0=0,a1=0,a2=0,a3=0; int main = taps & ~3; int k=0;
    for (; k < main; k += 4) { a0 += w[k]*h[f+k]; a1 += w[k+1]*h[f+k+1]; a2 += w[k+2]*h[f+k+2]; a3 += w[k+3]*h[f+k+3]; }
    int left = taps - main;
    if (left > 0) a0 += w[k]*h[f+k]; if (left > 1) a1 += w[k+1]*h[f+k+1]; if (left > 2) a2 += w[k+2]*h[f+k+2];
    return (float) (((a0+a1)+(a2+a3)) / w[taps]);
  }
  static float vector(double[] w, float[] h, int f) {
    int taps = w.length - 1; int main = taps & ~3; DoubleVector acc = DoubleVector.zero(D); int k=0;
    for (; k < main; k += 4) {
      DoubleVector hv = (DoubleVector) FloatVector.fromArray(F, h, f+k).convertShape(VectorOperators.F2D, D, 0);
      acc = acc.add(DoubleVector.fromArray(D, w, k).mul(hv));
    }
    double a0=acc.lane(0),a1=acc.lane(1),a2=acc.lane(2),a3=acc.lane(3);
    int left = taps - main;
    if (left > 0) a0 += w[k]*h[f+k]; if (left > 1) a1 += w[k+1]*h[f+k+1]; if (left > 2) a2 += w[k+2]*h[f+k+2];
    return (float) (((a0+a1)+(a2+a3)) / w[taps]);
  }
  public static void main(String[] a) {
    java.util.Random r = new java.util.Random(1);
    float[] h = new float[200_000]; for (int i=0;i<h.length;i++) h[i]=(float) r.nextGaussian();
    for (int taps : new int[]{25, 47, 91}) {
      double[] w = new double[taps+1]; double s=0; for (int i=0;i<taps;i++){w[i]=r.nextDouble(); s+=w[i];} w[taps]=s;
      int n = (h.length - taps - 1) * 2 / 5;
      // equality
      for (int j=0;j<n;j++){ int f=j*5/2; if (Float.floatToRawIntBits(scalar(w,h,f))!=Float.floatToRawIntBits(vector(w,h,f))) throw new AssertionError("differs at "+j); }
      for (int rep=0; rep<8; rep++) {
        long t0=System.nanoTime(); float x=0; for (int j=0;j<n;j++) x+=scalar(w,h,j*5/2); long t1=System.nanoTime();
        float y=0; for (int j=0;j<n;j++) y+=vector(w,h,j*5/2); long t2=System.nanoTime();
        if (rep>=5) System.out.printf("taps %d: scalar %.1f ns/output, vector %.1f ns/output (%s)%n", taps, (t1-t0)/(double)n, (t2-t1)/(double)n, x==y?"same sums":"DIFFERENT");
      }
    }
  }
}
