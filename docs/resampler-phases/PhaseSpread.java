import io.fmstream.core.signal.StreamingResampler;
public class PhaseSpread {
  public static void main(String[] a){
    int n=Integer.parseInt(a[0]); boolean spread=a[1].equals("spread");
    StreamingResampler r=new StreamingResampler(250,100);
    float[] x=new float[250]; java.util.Random rnd=new java.util.Random(1); for(int i=0;i<x.length;i++)x[i]=(float)rnd.nextGaussian();
    StreamingResampler.State[] s=new StreamingResampler.State[n];
    java.util.Random ph=new java.util.Random(7);
    double sink=0;
    int chunks=Math.max(20, 2_000_000/(n*100));
    for(int rep=0;rep<8;rep++){
      for(int d=0;d<n;d++) s[d]=r.newState(1_764_000_000_000_000L+(spread? ph.nextInt(4000):0)+ d*4000L*7,0);
      long t=System.nanoTime(); long outs=0;
      for(int c=0;c<chunks;c++) for(int d=0;d<n;d++){ StreamingResampler.Outputs o=r.push(s[d],x,0,x.length); outs+=o.count(); if(o.count()>0) sink+=o.values()[0];}
      long ns=System.nanoTime()-t; if(rep>=4) System.out.printf("n=%d %s: %.1f ns per output%n",n,a[1],(double)ns/outs);
    }
    System.out.println(sink);
  }
}
