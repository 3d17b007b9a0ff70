package io.fmstream.tools.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.tools.CliRun;
import io.fmstream.tools.FmstreamCli;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every {@code bin/fmstream} command the README and the runbook show names a command that exists
 * and only options that command has: an on-call engineer copying a command from the runbook at
 * night must not find it renamed. Values and placeholders are not checked, only names.
 */
class DocumentedCommandsTest {

    @Test
    void everyCommandInTheRunbookAndTheReadmeExistsWithTheOptionsShown() throws Exception {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (String doc : List.of("docs/RUNBOOK.md", "README.md")) {
            for (String command :
                    commands(Files.readString(RepositoryLayout.root().resolve(doc)))) {
                String problem = check(command);
                checked++;
                if (problem != null) {
                    problems.add(doc + ": " + problem + ": " + command);
                }
            }
        }
        assertThat(checked).as("commands found").isGreaterThan(20);
        assertThat(problems).isEmpty();
    }

    @Test
    void fmstreamWithoutACommandListsEveryCommand() {
        CliRun run = CliRun.of();
        assertThat(run.exit()).isEqualTo(2);
        for (String command : FmstreamCli.commandLine().getSubcommands().keySet()) {
            assertThat(run.err()).as("the usage error names %s", command).contains(command);
        }
        assertThat(run.err()).contains("Missing command: simulate, replay,").contains("acls");
    }

    /**
     * The commands of {@code markdown}: lines of its shell code blocks (continuations joined) and
     * inline code spans elsewhere (which may wrap across lines).
     */
    static List<String> commands(String markdown) {
        List<String> out = new ArrayList<>();
        StringBuilder prose = new StringBuilder();
        String fence = null; // the open code block's language, or null outside one
        for (String line : markdown.replaceAll("\\\\\n\\s*", " ").split("\n", -1)) {
            if (line.startsWith("```")) {
                fence = fence == null ? line.substring(3).trim() : null;
                continue;
            }
            if (fence == null) {
                prose.append(line).append('\n');
            } else if (List.of("bash", "sh", "shell", "console").contains(fence)) {
                int at = line.indexOf("bin/fmstream ");
                if (at >= 0) {
                    out.add(line.substring(at).replaceAll("\\s+#.*$", "").trim());
                }
            }
        }
        Matcher span = Pattern.compile("`(bin/fmstream[^`]*)`").matcher(prose);
        while (span.find()) {
            out.add(span.group(1).replaceAll("\\s+", " ").trim());
        }
        return out;
    }

    /** Null when {@code command} parses as far as names go, else what is wrong. */
    static String check(String command) {
        String[] tokens = command.split(" ");
        CommandLine cli = FmstreamCli.commandLine();
        int i = 1;
        while (i < tokens.length && cli.getSubcommands().containsKey(tokens[i])) {
            cli = cli.getSubcommands().get(tokens[i]);
            i++;
        }
        if (cli.getCommandSpec().userObject() instanceof FmstreamCli) {
            return i < tokens.length && !tokens[i].startsWith("-") && !tokens[i].startsWith("<")
                    ? "no command '" + tokens[i] + "'"
                    : null; // `bin/fmstream` alone, or its --help
        }
        for (; i < tokens.length; i++) {
            String t = tokens[i].replaceAll("^[\\[(]+", "");
            if (t.equals("&&") || t.equals("|") || t.equals(";") || t.startsWith(">")) {
                break; // the next command of a shell line
            }
            if (!t.startsWith("-") || t.equals("-") || t.startsWith("-X")) {
                continue;
            }
            String name = t.replaceAll("[=\\])].*$", "");
            if (name.startsWith("-D") && name.length() > 2) {
                name = "-D"; // -Dfmstream.key=value
            }
            CommandLine.Model.OptionSpec option = cli.getCommandSpec().findOption(name);
            if (option == null && name.startsWith("--no-")) {
                // picocli's negatable form of a boolean option (--kafka / --no-kafka)
                option = cli.getCommandSpec().findOption("--" + name.substring(5));
                option = option != null && option.negatable() ? option : null;
            }
            if (option == null) {
                return "'" + cli.getCommandName() + "' has no option " + name;
            }
        }
        return null;
    }
}
