package io.fmstream.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fmstream.data.RepositoryLayout;
import io.fmstream.data.sim.HeartRateProfile;
import io.fmstream.data.sim.SimulatedDevice;
import io.fmstream.kafka.KafkaClientProperties;
import io.fmstream.local.LocalKafkaCluster;
import io.fmstream.local.LocalPki;
import io.fmstream.schemas.AccuracyOutcome;
import io.fmstream.schemas.GroundTruth;
import io.fmstream.schemas.Prediction;
import io.fmstream.schemas.Rhythm;
import io.fmstream.schemas.SensorChunk;
import io.fmstream.schemas.codec.RecordCodec;
import io.fmstream.tools.AclsCommand;
import io.fmstream.tools.cluster.LocalCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The job behind authentication and authorisation, on the multi-process cluster: 3 Kafka nodes with
 * only SASL_SSL listeners (SCRAM-SHA-512 for clients and brokers, PLAIN between brokers and
 * controllers, a CA and certificates made in the test), the {@code StandardAuthorizer} with the
 * brokers' principal as the only super user, and least-privilege ACLs for the job's principal and
 * the devices' gateway, created by {@code bin/fmstream acls --apply}. The job runs end to end under
 * them, including a recovery after a TaskManager is killed; then the accuracy job, under its own
 * principal, scores every prediction against ground truth published by a labeller; a principal
 * without ACLs is refused with a clear authorisation error, both reading the outputs and submitting
 * the job. The accuracy job and the labeller authenticate with mutual TLS instead (client
 * certificates from the test's CA on a second listener, the principal taken from the CN, the same
 * ACLs), through the same client properties and no code of their own: a certificate whose principal
 * has no ACL for a topic is refused it, a client without a certificate is refused at the handshake.
 */
class SecureClusterIT {

    private static final long SECOND = 1_000_000L;
    private static final int DEVICES = 4;
    private static final int SECONDS = 60;
    private static final String JOB = "fmstream-job";
    private static final String GATEWAY = "device-gateway";
    private static final String ACCURACY = "fmstream-accuracy";
    private static final String LABELLER = "labeller";
    private static final String ADMIN = "admin";
    private static final String INTRUDER = "intruder";
    private static final String PREFIX = "fmstream-secure";
    private static final String GROUP = "fmstream-secure";
    private static final String SENSOR = "sensor-secure";
    private static final List<String> OUTPUTS =
            List.of("embeddings-secure", "predictions-secure", "dead-letters-secure");
    private static final String GROUND_TRUTH = "ground-truth-secure";
    private static final String ACCURACY_TOPIC = "accuracy-secure";

    @TempDir Path dir;

    @Test
    void theJobRunsUnderLeastPrivilegeAclsSurvivesAKillAndStrangersAreRefused() throws Exception {
        LocalPki pki =
                LocalPki.create(
                        dir.resolve("pki"),
                        "changeit-" + System.nanoTime(),
                        List.of(ACCURACY, LABELLER));
        LocalKafkaCluster.Security security =
                new LocalKafkaCluster.Security(
                        pki,
                        Map.of(
                                ADMIN, "admin-" + System.nanoTime(),
                                JOB, "job-" + System.nanoTime(),
                                GATEWAY, "gateway-" + System.nanoTime(),
                                INTRUDER, "intruder-" + System.nanoTime()),
                        ADMIN,
                        Set.of(ACCURACY, LABELLER));
        try (LocalCluster cluster = LocalCluster.start(dir.resolve("cluster"), security)) {
            LocalKafkaCluster kafka = cluster.kafka();
            try (Admin admin = kafka.admin()) {
                List<NewTopic> topics = new ArrayList<>();
                for (String t : concat(List.of(SENSOR, GROUND_TRUTH, ACCURACY_TOPIC), OUTPUTS)) {
                    Map<String, String> config = new HashMap<>(LocalKafkaCluster.TOPIC_CONFIG);
                    if (t.equals(SENSOR)) {
                        // The job's event time (it refuses a sensor topic without it).
                        config.put("message.timestamp.type", "LogAppendTime");
                    }
                    topics.add(new NewTopic(t, 2, (short) 3).configs(config));
                }
                admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
            }
            applyAcls(kafka);

            List<String> jobArgs = new ArrayList<>();
            jobArgs.addAll(
                    List.of(
                            "--fmstream.topic.sensor-chunks",
                            SENSOR,
                            "--fmstream.topic.embeddings",
                            OUTPUTS.get(0),
                            "--fmstream.topic.predictions",
                            OUTPUTS.get(1),
                            "--fmstream.topic.dead-letters",
                            OUTPUTS.get(2),
                            "--fmstream.topics.partitions",
                            "2",
                            "--fmstream.transactional-id-prefix",
                            PREFIX,
                            "--fmstream.kafka.group-id",
                            GROUP,
                            "--fmstream.checkpoint-interval",
                            "2 s",
                            "--fmstream.transaction-timeout",
                            "120 s",
                            // The expected windows and the truth spans are on the epoch grid.
                            "--fmstream.window.phase",
                            "EPOCH"));

            // A principal without ACLs: the job refuses to start, with the broker's reason.
            assertThatThrownBy(
                            () ->
                                    cluster.submitJob(
                                            LocalCluster.jobJar(RepositoryLayout.root()),
                                            RepositoryLayout.fixtureBundle().toUri().toString(),
                                            concat(jobArgs, asJobProperties(kafka, INTRUDER))))
                    .hasMessageContaining("uthoriz");

            String job =
                    cluster.submitJob(
                            LocalCluster.jobJar(RepositoryLayout.root()),
                            RepositoryLayout.fixtureBundle().toUri().toString(),
                            concat(jobArgs, asJobProperties(kafka, JOB)));

            long t0 =
                    Math.floorDiv(System.currentTimeMillis() * 1000L - SECONDS * SECOND, 5 * SECOND)
                            * 5
                            * SECOND;
            Set<String> expected = new HashSet<>();
            List<List<ProducerRecord<byte[], byte[]>>> input = input(t0, expected);
            int half = input.size() / 2;
            produce(kafka, input.subList(0, half));
            Map<String, Integer> seen = new HashMap<>();
            try {
                awaitPredictions(kafka, seen, DEVICES * ((half - 10) / 5) * 3);
            } catch (AssertionError e) {
                String ex = cluster.flink().rest("/jobs/" + job + "/exceptions");
                throw new AssertionError(
                        e.getMessage()
                                + "\njob exceptions: "
                                + (ex == null
                                        ? "none"
                                        : ex.substring(0, Math.min(3000, ex.length()))),
                        e);
            }
            // Recovery after a kill, under the same ACLs (transactions recovered or aborted).
            cluster.flink().killTaskManager(0);
            produce(kafka, input.subList(half, input.size()));
            awaitPredictions(kafka, seen, expected.size());
            cluster.flink().startTaskManager(0);
            cluster.flink().awaitTaskManagers(2, Duration.ofSeconds(60));

            // The accuracy job under its own principal: the labeller's ground truth joined with
            // every prediction, each scored once.
            produceTruth(kafka, t0);
            String accuracy =
                    cluster.submitJob(
                            LocalCluster.jobJar(RepositoryLayout.root()),
                            RepositoryLayout.fixtureBundle().toUri().toString(),
                            concat(
                                    jobArgs,
                                    List.of(
                                            "--fmstream.topic.ground-truth",
                                            GROUND_TRUTH,
                                            "--fmstream.topic.accuracy",
                                            ACCURACY_TOPIC),
                                    asJobProperties(kafka, ACCURACY)),
                            List.of("-c", "io.fmstream.job.accuracy.AccuracyJob", "-p", "1"));
            Map<String, Integer> scored = awaitScored(kafka, expected.size());
            cluster.flink().cancel(accuracy);
            cluster.flink().stopWithSavepoint(job, dir.resolve("savepoints"));

            assertThat(seen.keySet()).isEqualTo(expected);
            assertThat(seen.values()).as("each window once per head").allMatch(n -> n == 1);
            assertThat(scored.keySet()).as("every prediction scored").isEqualTo(expected);
            assertThat(scored.values()).as("each scored once").allMatch(n -> n == 1);

            // A principal without ACLs cannot read the predictions: a clear error, not a hang;
            // the same for a certificate's principal (the labeller may only write ground truth).
            assertThatThrownBy(
                            () -> readAll(kafka, INTRUDER, OUTPUTS.get(1), Duration.ofSeconds(20)))
                    .isInstanceOf(TopicAuthorizationException.class)
                    .hasMessageContaining(OUTPUTS.get(1));
            assertThatThrownBy(
                            () -> readAll(kafka, LABELLER, OUTPUTS.get(1), Duration.ofSeconds(20)))
                    .isInstanceOf(TopicAuthorizationException.class)
                    .hasMessageContaining(OUTPUTS.get(1));
            // The mutual-TLS listener refuses a client that shows no certificate.
            Map<String, String> noCertificate = new HashMap<>(kafka.clientProperties(LABELLER));
            noCertificate.keySet().removeIf(k -> k.startsWith("ssl.key"));
            Properties p = new Properties();
            p.putAll(noCertificate);
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(LABELLER));
            try (KafkaConsumer<byte[], byte[]> c =
                    new KafkaConsumer<>(
                            p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                assertThatThrownBy(() -> c.partitionsFor(OUTPUTS.get(1), Duration.ofSeconds(20)))
                        .isInstanceOf(SslAuthenticationException.class);
            }
        }
    }

    /**
     * Least privilege for the job, the accuracy job, the gateway and the labeller, and nobody else,
     * created as an operator would: {@code bin/fmstream acls --apply} as the admin, with the jobs'
     * names.
     */
    private static void applyAcls(LocalKafkaCluster kafka) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--job-principal",
                                "User:" + JOB,
                                "--accuracy-principal",
                                "User:" + ACCURACY,
                                "--gateway-principal",
                                "User:" + GATEWAY,
                                "--labeller-principal",
                                "User:" + LABELLER,
                                "-D",
                                "fmstream.topic.sensor-chunks=" + SENSOR,
                                "-D",
                                "fmstream.topic.embeddings=" + OUTPUTS.get(0),
                                "-D",
                                "fmstream.topic.predictions=" + OUTPUTS.get(1),
                                "-D",
                                "fmstream.topic.dead-letters=" + OUTPUTS.get(2),
                                "-D",
                                "fmstream.topic.ground-truth=" + GROUND_TRUTH,
                                "-D",
                                "fmstream.topic.accuracy=" + ACCURACY_TOPIC,
                                "-D",
                                "fmstream.kafka.group-id=" + GROUP,
                                "-D",
                                "fmstream.transactional-id-prefix=" + PREFIX,
                                "--apply",
                                "--bootstrap-servers",
                                kafka.bootstrapServers()));
        kafka.clientProperties(ADMIN)
                .forEach(
                        (k, v) -> {
                            args.add("--kafka-property");
                            args.add(k + "=" + v);
                        });
        assertThat(new CommandLine(new AclsCommand()).execute(args.toArray(String[]::new)))
                .as("fmstream acls --apply")
                .isZero();
    }

    private static List<String> asJobProperties(LocalKafkaCluster kafka, String user) {
        List<String> args = new ArrayList<>();
        args.add("--fmstream.kafka.bootstrap-servers");
        args.add(kafka.bootstrapServers(user));
        kafka.clientProperties(user)
                .forEach(
                        (k, v) -> {
                            args.add("--" + KafkaClientProperties.JOB_PREFIX + k);
                            args.add(v);
                        });
        return args;
    }

    private static List<List<ProducerRecord<byte[], byte[]>>> input(long t0, Set<String> expected) {
        RecordCodec<SensorChunk> codec = RecordCodec.forType(SensorChunk.class);
        List<List<ProducerRecord<byte[], byte[]>>> perSecond = new ArrayList<>();
        SimulatedDevice[] devices = new SimulatedDevice[DEVICES];
        for (int d = 0; d < DEVICES; d++) {
            devices[d] =
                    new SimulatedDevice(
                            "secure-" + d, 200 + d, 250, t0, HeartRateProfile.resting(65 + 5 * d));
            for (int w = 0; w <= SECONDS - 15; w += 5) {
                for (String task : new String[] {"rhythm", "heart_rate", "signal_quality"}) {
                    expected.add("secure-" + d + "@" + (t0 + w * SECOND) + "/" + task);
                }
            }
        }
        for (int s = 0; s < SECONDS; s++) {
            List<ProducerRecord<byte[], byte[]>> chunks = new ArrayList<>();
            for (int d = 0; d < DEVICES; d++) {
                chunks.add(
                        new ProducerRecord<>(
                                SENSOR,
                                ("secure-" + d).getBytes(StandardCharsets.UTF_8),
                                codec.encode(devices[d].nextChunk(250))));
            }
            perSecond.add(chunks);
        }
        return perSecond;
    }

    /** Sends as the devices' gateway. */
    private static void produce(
            LocalKafkaCluster kafka, List<List<ProducerRecord<byte[], byte[]>>> seconds)
            throws Exception {
        Properties p = new Properties();
        p.putAll(kafka.clientProperties(GATEWAY));
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (List<ProducerRecord<byte[], byte[]>> second : seconds) {
                for (ProducerRecord<byte[], byte[]> r : second) {
                    producer.send(r).get(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** The labeller's ground truth: each device resting at its profile's rate, all minute long. */
    private static void produceTruth(LocalKafkaCluster kafka, long t0) throws Exception {
        RecordCodec<GroundTruth> codec = RecordCodec.forType(GroundTruth.class);
        Properties p = new Properties();
        p.putAll(kafka.clientProperties(LABELLER));
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(LABELLER));
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int d = 0; d < DEVICES; d++) {
                GroundTruth truth =
                        GroundTruth.newBuilder()
                                .setDeviceId("secure-" + d)
                                .setSpanStartMicros(t0)
                                .setSpanEndMicros(t0 + SECONDS * SECOND)
                                .setHeartRateBpm(65.0 + 5 * d)
                                .setRhythm(Rhythm.NORMAL)
                                .setRhythmFraction(1f)
                                // A noise figure: without one, signal quality is not scored.
                                .setNoiseRmsMv(0.05f)
                                .setDroppedFraction(0f)
                                .setSource("SecureClusterIT")
                                .build();
                producer.send(
                                new ProducerRecord<>(
                                        GROUND_TRUTH,
                                        truth.getDeviceId().getBytes(StandardCharsets.UTF_8),
                                        codec.encode(truth)))
                        .get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Reads the accuracy topic as the admin until {@code n} distinct predictions were scored. */
    private static Map<String, Integer> awaitScored(LocalKafkaCluster kafka, int n)
            throws Exception {
        RecordCodec<AccuracyOutcome> codec = RecordCodec.forType(AccuracyOutcome.class);
        Map<String, Integer> scored = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        boolean first = true;
        while (scored.size() < n && System.nanoTime() < deadline) {
            if (!first) {
                Thread.sleep(1000); // a read ends at the end now: not a busy loop of clients
            }
            first = false;
            scored.clear();
            for (ConsumerRecord<byte[], byte[]> r :
                    readAll(kafka, ADMIN, ACCURACY_TOPIC, Duration.ofSeconds(3))) {
                AccuracyOutcome o = codec.decode(r.value());
                if (o.getScope().toString().equals("WINDOW")) {
                    scored.merge(
                            o.getDeviceId() + "@" + o.getWindowStartMicros() + "/" + o.getTask(),
                            1,
                            Integer::sum);
                }
            }
        }
        return scored;
    }

    /** Reads the predictions as the admin until {@code n} distinct keys were seen. */
    private static void awaitPredictions(LocalKafkaCluster kafka, Map<String, Integer> seen, int n)
            throws Exception {
        RecordCodec<Prediction> codec = RecordCodec.forType(Prediction.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        boolean first = true;
        while (seen.size() < n && System.nanoTime() < deadline) {
            if (!first) {
                Thread.sleep(1000); // a read ends at the end now: not a busy loop of clients
            }
            first = false;
            seen.clear();
            for (ConsumerRecord<byte[], byte[]> r :
                    readAll(kafka, ADMIN, OUTPUTS.get(1), Duration.ofSeconds(3))) {
                Prediction p = codec.decode(r.value());
                seen.merge(
                        p.getDeviceId() + "@" + p.getWindowStartMicros() + "/" + p.getTask(),
                        1,
                        Integer::sum);
            }
        }
        assertThat(seen.size()).as("predictions seen").isGreaterThanOrEqualTo(n);
    }

    /**
     * Everything committed in {@code topic} when the read began (up to its partitions' last stable
     * offsets), read as {@code user} for {@code quiet} at most: a read used to take the whole
     * {@code quiet} however little there was, and the waits below read again and again.
     */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(
            LocalKafkaCluster kafka, String user, String topic, Duration quiet) {
        Properties p = new Properties();
        p.putAll(kafka.clientProperties(user));
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(user));
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts =
                    List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
            c.assign(parts);
            c.seekToBeginning(parts);
            long end = System.nanoTime() + quiet.toNanos();
            Map<TopicPartition, Long> stable = null;
            while (System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(r);
                }
                if (stable == null) {
                    // After the first poll, which reports a missing authorisation as such.
                    stable = c.endOffsets(parts); // read_committed: the last stable offsets
                }
                boolean reached = true;
                for (TopicPartition tp : parts) {
                    reached &= c.position(tp) >= stable.get(tp);
                }
                if (reached) {
                    break;
                }
            }
        }
        return out;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> p : parts) {
            all.addAll(p);
        }
        return all;
    }
}
