package io.fmstream.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the fmstream command-line programs. */
@Command(
        name = "fmstream",
        mixinStandardHelpOptions = true,
        version = "fmstream 0.1.0-SNAPSHOT",
        description = "Streaming inference for biosignal foundation models.",
        subcommands = {
            SimulateCommand.class,
            ReplayCommand.class,
            TailCommand.class,
            ProbeCommand.class,
            AclsCommand.class,
            DemoCommand.class,
            DatasetCommand.class,
            BenchCommand.class,
            CapacityCommand.class,
            io.fmstream.tools.bench.HeadBenchCommand.class,
            io.fmstream.tools.eval.EvaluateCommand.class,
            io.fmstream.tools.eval.FitHeadCommand.class,
            io.fmstream.tools.eval.CompareEncodersCommand.class,
            io.fmstream.tools.audit.AuditCommand.class,
            io.fmstream.tools.cluster.ClusterCommand.class,
            io.fmstream.tools.state.StateReportCommand.class,
            CommandLine.HelpCommand.class
        })
public final class FmstreamCli implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // Listed from the registered commands, so that a new one is never missing here.
        throw new CommandLine.ParameterException(
                spec.commandLine(),
                "Missing command: "
                        + String.join(", ", spec.subcommands().keySet())
                        + " (fmstream --help says what each does)");
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line with the project's error handling: a failure prints one line naming the
     * cause (the stack trace only with FMSTREAM_DEBUG=1) and exits with 1; usage errors exit with
     * 2.
     */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new FmstreamCli());
        cli.setExecutionExceptionHandler(
                (exception, command, parseResult) -> {
                    StringBuilder message =
                            new StringBuilder("error: ").append(exception.getMessage());
                    for (Throwable cause = exception.getCause();
                            cause != null;
                            cause = cause.getCause()) {
                        message.append("\n  caused by: ")
                                .append(cause.getClass().getSimpleName())
                                .append(": ")
                                .append(cause.getMessage());
                    }
                    command.getErr().println(message);
                    if ("1".equals(System.getenv("FMSTREAM_DEBUG"))) {
                        exception.printStackTrace(command.getErr());
                    }
                    return 1;
                });
        return cli;
    }
}
