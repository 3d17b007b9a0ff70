package io.fmstream.testkit;

import io.fmstream.local.LocalKafkaBroker;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@link LocalKafkaBroker} as a JUnit 5 extension. Register it on a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final EmbeddedKafka KAFKA = EmbeddedKafka.builder().extension();
 * }</pre>
 *
 * It starts the broker before the class's tests and closes it after them, or use {@link #start()}
 * with try-with-resources. Everything else (topics that are ready before the first produce, checked
 * sends, {@code read_committed} drains) is the broker's.
 */
public final class EmbeddedKafka extends LocalKafkaBroker
        implements BeforeAllCallback, AfterAllCallback {

    private final Object lifecycle = new Object();

    /** The JUnit context that started this instance, so nested classes do not close it early. */
    private String startedByContext;

    private EmbeddedKafka(Map<String, String> brokerProperties) {
        super(brokerProperties);
    }

    /** Starts a broker with the default settings; the caller must {@link #close()} it. */
    public static EmbeddedKafka start() {
        return builder().start();
    }

    /** Builder for a broker with extra or overridden broker properties. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        synchronized (lifecycle) {
            if (startIfStopped()) {
                startedByContext = context.getUniqueId();
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        synchronized (lifecycle) {
            if (context.getUniqueId().equals(startedByContext)) {
                close();
            }
        }
    }

    /** Broker settings; {@link #start()} or {@link #extension()} creates the instance. */
    public static final class Builder extends LocalKafkaBroker.Builder {

        private Builder() {}

        @Override
        public Builder brokerProperty(String key, String value) {
            super.brokerProperty(key, value);
            return this;
        }

        /** Starts the broker now; the caller must close it. */
        @Override
        public EmbeddedKafka start() {
            EmbeddedKafka kafka = new EmbeddedKafka(properties());
            kafka.startIfStopped();
            return kafka;
        }

        /**
         * An instance for {@code @RegisterExtension} on a static field: started in {@code
         * beforeAll} and closed in {@code afterAll} of the class that registered it.
         */
        public EmbeddedKafka extension() {
            return new EmbeddedKafka(properties());
        }
    }
}
