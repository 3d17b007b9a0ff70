package io.fmstream.kafka;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Arbitrary Kafka client properties a user passes through to every client fmstream creates
 * (security: {@code security.protocol}, {@code sasl.*}, {@code ssl.*}; tuning), so that SASL_SSL,
 * SCRAM or mTLS need no code change. The job takes them as {@code fmstream.kafka.properties.<key>};
 * the tools as {@code --kafka-property key=value} and {@code --kafka-properties-file}.
 *
 * <p>Keys a client sets itself because its guarantees depend on them (bootstrap servers, isolation
 * level, idempotence, acks, transaction timeout, serializers) are <em>reserved</em>: a user value
 * for one of them is refused with the option to use instead, never silently ignored or silently
 * applied.
 */
public final class KafkaClientProperties {

    /**
     * Whether a Kafka client property's value is a secret (a password, a JAAS configuration with
     * one, a PEM private key): masked wherever properties are printed or written to a report.
     */
    public static boolean isSensitive(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        return k.contains("password")
                || k.contains("secret")
                || k.contains("jaas")
                || k.contains("token")
                || k.endsWith("ssl.keystore.key")
                || k.endsWith("ssl.keystore.certificate.chain");
    }

    /** {@code properties} with the values of {@link #isSensitive} keys replaced by "******". */
    public static Map<String, String> masked(Map<String, String> properties) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        properties.forEach((k, v) -> out.put(k, isSensitive(k) ? "******" : v));
        return out;
    }

    /** Prefix of the job's pass-through options. */
    public static final String JOB_PREFIX = "fmstream.kafka.properties.";

    /** Reserved in every client. */
    public static final Set<String> RESERVED_ALWAYS =
            Set.of(
                    "bootstrap.servers",
                    "key.serializer",
                    "value.serializer",
                    "key.deserializer",
                    "value.deserializer");

    /**
     * Reserved in the tools' clients (simulate, replay, tail, probe, audit): the delivery and
     * reading guarantees their results depend on.
     */
    public static final Map<String, String> RESERVED_BY_TOOLS =
            Map.of(
                    "acks", "(always all)",
                    "enable.idempotence", "(always true)",
                    "isolation.level", "(read_committed; tail --read-uncommitted reads the rest)",
                    "enable.auto.commit", "(the tools commit no offsets)",
                    // A transactional id made simulate's and replay's producer transactional,
                    // and every send then failed outside a transaction; tail and audit read
                    // without a group.
                    "transactional.id", "(the tools' producers are not transactional)",
                    "transaction.timeout.ms", "(the tools' producers are not transactional)",
                    "group.id", "(the tools read assigned partitions, without a group)");

    /** Reserved in the job's source and sinks, with the fmstream option that governs each. */
    public static final Map<String, String> RESERVED_BY_JOB =
            Map.of(
                    "bootstrap.servers",
                    "fmstream.kafka.bootstrap-servers",
                    "group.id",
                    "fmstream.kafka.group-id",
                    "isolation.level",
                    "(always read_committed)",
                    "enable.idempotence",
                    "(always true)",
                    "acks",
                    "(always all)",
                    "transaction.timeout.ms",
                    "fmstream.transaction-timeout",
                    "transactional.id",
                    "fmstream.transactional-id-prefix",
                    // The source's offsets: committed at checkpoints only, so a fresh start
                    // resumes after what was processed and the probe's lag counts from there.
                    "enable.auto.commit",
                    "(always false: offsets are committed at checkpoints)",
                    "commit.offsets.on.checkpoint",
                    "(always true)",
                    "auto.offset.reset",
                    "(the group's committed offsets, else the earliest; Flink's source sets it)");

    private KafkaClientProperties() {}

    /**
     * The job's pass-through client properties from its configuration: the {@link #JOB_PREFIX}
     * entries, prefix removed, reserved keys refused ({@link #RESERVED_BY_JOB}).
     */
    public static Map<String, String> ofJob(Map<String, String> config) {
        return checked(withPrefix(config, JOB_PREFIX), RESERVED_BY_JOB, JOB_PREFIX);
    }

    /** The entries of {@code config} under {@code prefix}, prefix removed, sorted by key. */
    public static Map<String, String> withPrefix(Map<String, String> config, String prefix) {
        Map<String, String> out = new TreeMap<>();
        config.forEach(
                (k, v) -> {
                    if (k.startsWith(prefix) && k.length() > prefix.length()) {
                        out.put(k.substring(prefix.length()), v);
                    }
                });
        return out;
    }

    /**
     * Refuses reserved keys: those in {@code reserved} (key to the option to use instead) and
     * {@link #RESERVED_ALWAYS}.
     *
     * @throws IllegalArgumentException naming the first reserved key and its replacement
     */
    public static Map<String, String> checked(
            Map<String, String> user, Map<String, String> reserved, String how) {
        for (String key : user.keySet()) {
            if (reserved.containsKey(key)) {
                throw new IllegalArgumentException(
                        how
                                + key
                                + " is set by fmstream itself; use "
                                + reserved.get(key)
                                + " instead");
            }
            if (RESERVED_ALWAYS.contains(key)) {
                throw new IllegalArgumentException(
                        how + key + " is set by fmstream itself and cannot be passed through");
            }
        }
        return user;
    }

    /**
     * Reads {@code key=value} pairs and a properties file (either may be empty) into one map; the
     * pairs win over the file.
     */
    public static Map<String, String> load(Collection<String> pairs, Path file) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
            for (String k : p.stringPropertyNames()) {
                out.put(k, p.getProperty(k));
            }
        }
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(
                        "--kafka-property takes key=value, got '" + pair + "'");
            }
            out.put(pair.substring(0, eq).trim(), pair.substring(eq + 1));
        }
        return out;
    }

    /** Copies {@code user} into {@code target} (a client's properties before its own settings). */
    public static Properties into(Properties target, Map<String, String> user) {
        user.forEach(target::put);
        return target;
    }

    /** An admin client's properties: the user's pass-through properties and the servers. */
    public static Properties forAdmin(String bootstrapServers, Map<String, String> user) {
        Properties p = into(new Properties(), user);
        p.put(
                org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers);
        return p;
    }

    /** As above, with every admin call's default timeout. */
    public static Properties forAdmin(
            String bootstrapServers, Map<String, String> user, java.time.Duration apiTimeout) {
        Properties p = forAdmin(bootstrapServers, user);
        // A default: a user's own value wins (a slow link). The admin client refuses an API
        // timeout under the request timeout, so a user's longer request timeout raises it.
        long api = apiTimeout.toMillis();
        String request =
                user.get(
                        org.apache.kafka.clients.admin.AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG);
        if (request != null) {
            try {
                api = Math.max(api, Long.parseLong(request.trim()));
            } catch (NumberFormatException e) {
                // The admin client names the bad value itself.
            }
        }
        p.putIfAbsent(
                org.apache.kafka.clients.admin.AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                String.valueOf(api));
        return p;
    }
}
