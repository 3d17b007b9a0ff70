package io.fmstream.tools.state;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fmstream state-report}: what a checkpoint's keyed state holds, device by device. */
@Command(
        name = "state-report",
        mixinStandardHelpOptions = true,
        description =
                "What the job's keyed state holds, read from a checkpoint or savepoint folder (the"
                        + " one with _metadata; savepoints of any state backend, checkpoints of"
                        + " the heap backend): per operator the devices, their state's size"
                        + " (median, p99, max), the chunks held behind gaps and the largest"
                        + " devices. For when a checkpoint grows: many devices, a few large ones,"
                        + " or one field.")
public final class StateReportCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "Checkpoint or savepoint folder (holds _metadata).")
    Path path;

    @Option(
            names = "--top",
            defaultValue = "10",
            description = "Largest devices listed per operator (default: ${DEFAULT-VALUE}).")
    int top;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(path.resolve("_metadata"))) {
            System.err.println(
                    "state-report: "
                            + path
                            + " holds no _metadata: give a checkpoint's chk-<n> folder or a"
                            + " savepoint folder");
            return 2;
        }
        System.out.print(StateReport.read(path).render(top));
        return 0;
    }
}
