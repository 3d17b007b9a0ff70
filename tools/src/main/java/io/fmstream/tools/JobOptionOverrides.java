package io.fmstream.tools;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;

/**
 * Job options a benchmark passes to every fmstream job it runs (bench, capacity, the cluster's
 * soak), over the production defaults; declared once and mixed in with {@code @Mixin}.
 */
public final class JobOptionOverrides {

    @Option(
            names = "--job-option",
            paramLabel = "KEY=VALUE",
            description =
                    "A job option (fmstream.*) for every fmstream job the command runs, e.g."
                            + " fmstream.batch.max-delay=20ms or, for the Kafka clients,"
                            + " fmstream.kafka.properties.linger.ms=20; repeatable (the report"
                            + " lists them).")
    public Map<String, String> values = new LinkedHashMap<>();

    /**
     * Refuses a key outside {@code fmstream.*}, a misspelt option and a duration without its unit
     * before anything starts (they were set on the configuration unchecked, and a report listed a
     * misspelt option as applied).
     */
    public JobOptionOverrides check() {
        for (String key : values.keySet()) {
            if (!key.startsWith("fmstream.")) {
                throw new IllegalArgumentException(
                        "--job-option " + key + ": only fmstream.* options are job options");
            }
        }
        io.fmstream.job.FmstreamOptions.checkValues(values);
        return this;
    }

    /**
     * The options as a report shows them: secrets among the Kafka properties masked (reports are
     * committed under docs/).
     */
    public Map<String, String> forReports() {
        return io.fmstream.kafka.KafkaClientProperties.masked(values);
    }

    /** A report's line naming them ("Job options: `k=v`, `k=v`." and a blank line), or "". */
    public String markdown() {
        return values.isEmpty()
                ? ""
                : "Job options: "
                        + forReports().entrySet().stream()
                                .map(e -> "`" + e.getKey() + "=" + e.getValue() + "`")
                                .collect(Collectors.joining(", "))
                        + ".\n\n";
    }

    /** The options as the job's own command-line arguments ({@code --key value} each). */
    public java.util.List<String> asJobArguments() {
        java.util.List<String> args = new java.util.ArrayList<>();
        values.forEach(
                (k, v) -> {
                    args.add("--" + k);
                    args.add(v);
                });
        return args;
    }
}
