package io.connectionswap.testsupport.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The events one Logback logger writes while open, kept in memory for a test to look at (its other appenders still
 * get them). Close it to stop listening: {@code try (CapturedLogs logs = CapturedLogs.of(Foo.class)) { ... }}.
 */
public final class CapturedLogs implements AutoCloseable {

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private CapturedLogs(Logger logger) {
        this.logger = logger;
        appender.start();
        logger.addAppender(appender);
    }

    /** Listens to the logger of {@code type}. */
    public static CapturedLogs of(Class<?> type) {
        return of(type.getName());
    }

    /** Listens to the logger named {@code name}. */
    public static CapturedLogs of(String name) {
        return new CapturedLogs((Logger) LoggerFactory.getLogger(name));
    }

    /** The logger listened to, for a test that sets its level or additivity. */
    public Logger logger() {
        return logger;
    }

    /** The events so far, in order: a copy, safe to read while the logger's threads go on logging. */
    public List<ILoggingEvent> events() {
        synchronized (appender) { // the lock AppenderBase.doAppend holds while it adds an event
            return List.copyOf(appender.list);
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
