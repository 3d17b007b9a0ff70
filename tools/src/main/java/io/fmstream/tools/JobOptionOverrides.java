package io.fmstream.tools;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;

/**
 * Job options a benchmark passes to every fmstream job it runs (bench, capacity), over the
 * production defaults; declared once and mixed in with {@code @Mixin}.
 */
final class JobOptionOverrides {

    @Option(
            names = "--job-option",
            paramLabel = "KEY=VALUE",
            description =
                    "A job option (fmstream.*) for every fmstream job the command runs, e.g."
                            + " fmstream.batch.max-delay=20ms or, for the Kafka clients,"
                            + " fmstream.kafka.properties.linger.ms=20; repeatable (the report"
                            + " lists them).")
    Map<String, String> values = new LinkedHashMap<>();

    /** A report's line naming them ("Job options: `k=v`, `k=v`." and a blank line), or "". */
    String markdown() {
        return values.isEmpty()
                ? ""
                : "Job options: "
                        + values.entrySet().stream()
                                .map(e -> "`" + e.getKey() + "=" + e.getValue() + "`")
                                .collect(Collectors.joining(", "))
                        + ".\n\n";
    }
}
