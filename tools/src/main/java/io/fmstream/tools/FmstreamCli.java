package io.fmstream.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the fmstream command-line programs. */
@Command(name = "fmstream", mixinStandardHelpOptions = true, version = "fmstream 0.1.0-SNAPSHOT",
        description = "Streaming inference for biosignal foundation models.",
        subcommands = {SimulateCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class FmstreamCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: simulate or demo");
    }

    public static void main(String[] args) {
        int code = new CommandLine(new FmstreamCli()).execute(args);
        System.exit(code);
    }
}
