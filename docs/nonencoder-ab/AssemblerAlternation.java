import java.net.*; import java.nio.file.*;
/**
 * Runs AssemblerHarness of two builds in one JVM, alternating, each through its own class loader
 * (so each build has its own classes and compiled code, on the same machine minute):
 * java AssemblerAlternation ROUNDS BASE_HARNESS_DIR BASE_CORE_CLASSES NEW_HARNESS_DIR NEW_CORE_CLASSES
 * where each HARNESS_DIR holds AssemblerHarness compiled against that build's
 * fmstream-core/target/classes.
 */
public class AssemblerAlternation {
  public static void main(String[] a) throws Exception {
    URLClassLoader base = loader(a[1], a[2]);
    URLClassLoader nw = loader(a[3], a[4]);
    for (int i = 0; i < Integer.parseInt(a[0]); i++) for (URLClassLoader l : new URLClassLoader[]{base, nw}) {
      System.out.println(l == base ? "== base" : "== new");
      l.loadClass("AssemblerHarness").getMethod("main", String[].class).invoke(null, (Object) new String[]{"800", "60", "inplace", "8"});
    }
  }
  static URLClassLoader loader(String harness, String core) throws Exception {
    return new URLClassLoader(new URL[]{Path.of(harness).toUri().toURL(), Path.of(core).toUri().toURL()}, ClassLoader.getPlatformClassLoader());
  }
}
