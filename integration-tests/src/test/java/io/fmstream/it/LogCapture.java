package io.fmstream.it;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * The lines this JVM logs while open, from an appender on the root logger: below every logger's own
 * level, so it sees exactly the lines the configuration lets through, from every thread (Flink's
 * tasks included).
 */
final class LogCapture implements AutoCloseable {

    /** One logged line. */
    record Line(Level level, String logger, String message) {
        boolean atLeast(Level level) {
            return this.level.isMoreSpecificThan(level);
        }

        @Override
        public String toString() {
            return level + " " + logger + " - " + message;
        }
    }

    private final LoggerContext context;
    private final AbstractAppender appender;
    private final List<Line> lines = new CopyOnWriteArrayList<>();

    private LogCapture(String name) {
        context = (LoggerContext) LogManager.getContext(false);
        appender =
                new AbstractAppender(name, null, null, true, Property.EMPTY_ARRAY) {
                    @Override
                    public void append(LogEvent e) {
                        lines.add(
                                new Line(
                                        e.getLevel(),
                                        e.getLoggerName(),
                                        e.getMessage().getFormattedMessage()));
                    }
                };
        appender.start();
        context.getConfiguration().getRootLogger().addAppender(appender, null, null);
        context.updateLoggers();
    }

    /** Starts capturing under the current logging configuration. */
    static LogCapture start(String name) {
        return new LogCapture(name);
    }

    /** The lines so far, in order. */
    List<Line> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void close() {
        context.getConfiguration().getRootLogger().removeAppender(appender.getName());
        context.updateLoggers();
        appender.stop();
    }
}
