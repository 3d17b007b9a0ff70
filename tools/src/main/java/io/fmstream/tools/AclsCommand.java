package io.fmstream.tools;

import io.fmstream.job.FmstreamOptions;
import io.fmstream.job.accuracy.AccuracyJob;
import io.fmstream.kafka.Acls;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AclBinding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Least-privilege ACLs for a deployment's principals ({@link Acls}), from the same options the jobs
 * take: printed as {@code kafka-acls.sh} commands, or created with the admin client ({@code
 * --apply}). Only the principals given get ACLs.
 */
@Command(
        name = "acls",
        mixinStandardHelpOptions = true,
        description =
                "Print (or --apply) the least-privilege Kafka ACLs of the inference job, the"
                    + " accuracy job, the device gateway, the ground-truth labeller, replay and the"
                    + " probe, for the topics, group and transactional-id prefix the jobs are"
                    + " configured with.")
public final class AclsCommand implements Callable<Integer> {

    @Option(names = "--job-principal", description = "Inference job, e.g. User:fmstream-job.")
    String jobPrincipal;

    @Option(names = "--accuracy-principal", description = "Accuracy job's principal.")
    String accuracyPrincipal;

    @Option(names = "--gateway-principal", description = "Device gateway: writes the sensor topic.")
    String gatewayPrincipal;

    @Option(
            names = "--labeller-principal",
            description = "Whoever publishes ground truth alone (a clinicians' labelling service).")
    String labellerPrincipal;

    @Option(
            names = "--replay-principal",
            description =
                    "bin/fmstream replay, or simulate with its ground truth: they write the sensor"
                            + " chunks and the ground truth through one producer, and check both"
                            + " topics at start.")
    String replayPrincipal;

    @Option(
            names = "--probe-principal",
            description = "The committed-latency probe and transaction watch (bin/fmstream probe).")
    String probePrincipal;

    @Option(
            names = "-D",
            paramLabel = "fmstream.KEY=VALUE",
            description =
                    "A job option the jobs are started with (topics, consumer group,"
                            + " transactional-id prefix), e.g. -D fmstream.topic.sensor-chunks=ecg"
                            + " (repeatable).")
    Map<String, String> jobOptions = new LinkedHashMap<>();

    @Option(names = "--apply", description = "Create the ACLs instead of printing them.")
    boolean apply;

    @Option(
            names = "--bootstrap-servers",
            description = "Kafka to apply them to (with --apply), as an admin principal.")
    String bootstrapServers;

    @Mixin KafkaClientOptions kafka = new KafkaClientOptions();

    @Override
    public Integer call() throws Exception {
        List<AclBinding> acls = acls(Configuration.fromMap(jobOptions));
        if (acls.isEmpty()) {
            System.err.println(
                    "acls: no principal given (--job-principal, --accuracy-principal,"
                            + " --gateway-principal, --labeller-principal, --probe-principal)");
            return 2;
        }
        if (!apply) {
            acls.stream().map(Acls::kafkaAclsCommand).forEach(System.out::println);
            return 0;
        }
        if (bootstrapServers == null) {
            System.err.println("acls: --apply needs --bootstrap-servers");
            return 2;
        }
        Properties p = new Properties();
        p.putAll(kafka.properties());
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(p)) {
            admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
        }
        System.out.printf("acls: created %d ACLs%n", acls.size());
        return 0;
    }

    /** The ACLs of the principals given, for jobs configured with {@code c}. */
    List<AclBinding> acls(Configuration c) {
        // A misspelt option would silently grant ACLs on the default names.
        java.util.Set<String> known = new java.util.HashSet<>();
        FmstreamOptions.all().forEach(o -> known.add(o.key()));
        for (String key : jobOptions.keySet()) {
            if (!known.contains(key)) {
                throw new picocli.CommandLine.ParameterException(
                        new picocli.CommandLine(this), "-D " + key + ": not a job option");
            }
        }
        List<AclBinding> acls = new ArrayList<>();
        if (jobPrincipal != null) {
            acls.addAll(
                    Acls.inferenceJob(
                            jobPrincipal,
                            c.get(FmstreamOptions.SENSOR_TOPIC),
                            c.get(FmstreamOptions.CONSUMER_GROUP),
                            List.of(
                                    c.get(FmstreamOptions.EMBEDDINGS_TOPIC),
                                    c.get(FmstreamOptions.PREDICTIONS_TOPIC),
                                    c.get(FmstreamOptions.DEAD_LETTER_TOPIC)),
                            c.get(FmstreamOptions.TRANSACTIONAL_ID_PREFIX)));
        }
        if (accuracyPrincipal != null) {
            acls.addAll(
                    Acls.accuracyJob(
                            accuracyPrincipal,
                            c.get(FmstreamOptions.PREDICTIONS_TOPIC),
                            c.get(FmstreamOptions.GROUND_TRUTH_TOPIC),
                            AccuracyJob.consumerGroup(c),
                            c.get(FmstreamOptions.ACCURACY_TOPIC),
                            AccuracyJob.transactionalIdPrefix(c)));
        }
        if (gatewayPrincipal != null) {
            acls.addAll(
                    Acls.producer(gatewayPrincipal, List.of(c.get(FmstreamOptions.SENSOR_TOPIC))));
        }
        if (labellerPrincipal != null) {
            acls.addAll(
                    Acls.producer(
                            labellerPrincipal, List.of(c.get(FmstreamOptions.GROUND_TRUTH_TOPIC))));
        }
        if (replayPrincipal != null) {
            acls.addAll(
                    Acls.producer(
                            replayPrincipal,
                            List.of(
                                    c.get(FmstreamOptions.SENSOR_TOPIC),
                                    c.get(FmstreamOptions.GROUND_TRUTH_TOPIC))));
        }
        if (probePrincipal != null) {
            acls.addAll(
                    Acls.probe(
                            probePrincipal,
                            c.get(FmstreamOptions.PREDICTIONS_TOPIC),
                            c.get(FmstreamOptions.SENSOR_TOPIC),
                            c.get(FmstreamOptions.CONSUMER_GROUP),
                            c.get(FmstreamOptions.TRANSACTIONAL_ID_PREFIX)));
        }
        return acls;
    }
}
