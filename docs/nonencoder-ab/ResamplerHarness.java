import io.fmstream.core.signal.StreamingResampler;
public class ResamplerHarness {
  public static void main(String[] a){
    StreamingResampler r=new StreamingResampler(250,100);
    float[] x=new float[250*5]; java.util.Random rnd=new java.util.Random(1); for(int i=0;i<x.length;i++)x[i]=(float)rnd.nextGaussian();
    double sink=0;
    for(int rep=0;rep<6;rep++){
      long t=System.nanoTime(); long outs=0;
      for(int d=0;d<200;d++){ StreamingResampler.State s=r.newState(1_764_000_000_000_000L+d*1234,0);
        for(int c=0;c<720;c++){ StreamingResampler.Outputs o=r.push(s,x,0,x.length); outs+=o.count(); sink+=o.values()[0];}}
      long ns=System.nanoTime()-t; System.out.printf("%.1f ns per output, %.2f us per 500 outputs%n",(double)ns/outs, ns/(double)outs*500/1000);
    }
    System.out.println(sink);
  }
}
