package io.fmstream.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AclsCommandTest {

    @Test
    void printsEachPrincipalsLeastPrivilegeAclsForTheConfiguredNames() {
        String out =
                run(
                        "--job-principal", "User:job",
                        "--accuracy-principal", "User:acc",
                        "--gateway-principal", "User:gw",
                        "--labeller-principal", "User:lab",
                        "--probe-principal", "User:probe",
                        "--replay-principal", "User:replay",
                        "-D", "fmstream.topic.sensor-chunks=ecg-in",
                        "-D", "fmstream.kafka.group-id=g",
                        "-D", "fmstream.transactional-id-prefix=tx");
        List<String> lines = out.lines().toList();
        String p =
                "kafka-acls.sh --bootstrap-server \"$BOOTSTRAP\" --command-config"
                        + " \"$ADMIN_CONFIG\" --add --allow-principal ";
        assertThat(lines)
                .contains(
                        p + "User:job --operation Read --topic ecg-in",
                        p + "User:job --operation Read --group g",
                        p + "User:job --operation DescribeConfigs --topic ecg-in",
                        p + "User:job --operation Write --topic fmstream.predictions.v1",
                        // Transaction recovery lists producers on the outputs: READ.
                        p + "User:job --operation Read --topic fmstream.dead-letters.v1",
                        p
                                + "User:job --operation Write --transactional-id tx-embeddings"
                                + " --resource-pattern-type prefixed",
                        p
                                + "User:job --operation Write --transactional-id tx-predictions"
                                + " --resource-pattern-type prefixed",
                        p
                                + "User:job --operation Describe --transactional-id"
                                + " tx-dead-letters --resource-pattern-type prefixed",
                        p + "User:job --operation IdempotentWrite --cluster",
                        p + "User:acc --operation Read --topic fmstream.predictions.v1",
                        p + "User:acc --operation Read --topic fmstream.ground-truth.v1",
                        p + "User:acc --operation Read --group g-accuracy",
                        p + "User:acc --operation Write --topic fmstream.accuracy.v1",
                        p
                                + "User:acc --operation Write --transactional-id tx-accuracy"
                                + " --resource-pattern-type prefixed",
                        p + "User:gw --operation Write --topic ecg-in",
                        p + "User:lab --operation Write --topic fmstream.ground-truth.v1",
                        p + "User:probe --operation Read --topic fmstream.predictions.v1",
                        p + "User:probe --operation Describe --topic ecg-in",
                        p + "User:probe --operation Describe --group g",
                        // the jobs' own prefixes, never the bare one (tx-eu-... is another
                        // deployment's)
                        p
                                + "User:probe --operation Describe --transactional-id"
                                + " tx-predictions --resource-pattern-type prefixed",
                        p
                                + "User:probe --operation Describe --transactional-id"
                                + " tx-accuracy --resource-pattern-type prefixed",
                        // replay and simulate write both topics through one producer
                        p + "User:replay --operation Write --topic ecg-in",
                        p + "User:replay --operation Write --topic fmstream.ground-truth.v1");
        // Least privilege: nobody may write what it only reads, nor read the sensor topic
        // except the job.
        assertThat(lines)
                .noneMatch(
                        l -> l.contains("User:acc --operation Write --topic fmstream.predictions"))
                .noneMatch(l -> l.contains("User:gw --operation Read"))
                .noneMatch(l -> l.contains("User:lab --operation Read"))
                .noneMatch(l -> l.contains("User:probe --operation Write"))
                .noneMatch(l -> l.contains("User:probe --operation Read --group"))
                .noneMatch(l -> l.contains("User:probe --operation Read --topic ecg-in"))
                .noneMatch(l -> l.contains("--operation All"))
                // The job's grants name its sinks' prefixes, never the bare one, which would
                // cover the accuracy job's ids (tx-accuracy) too.
                .noneMatch(l -> l.contains("--transactional-id tx "))
                .doesNotHaveDuplicates();
        assertThat(lines).hasSize(20 + 11 + 3 + 3 + 8 + 5);
    }

    @Test
    void aMisspeltJobOptionIsRefusedRatherThanGrantingOnDefaultNames() {
        CommandLine cli = new CommandLine(new AclsCommand());
        cli.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
        assertThat(cli.execute("--job-principal", "User:job", "-D", "fmstream.topic.sensor=x"))
                .isEqualTo(2);
    }

    private static String run(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertThat(new CommandLine(new AclsCommand()).execute(args)).isZero();
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
