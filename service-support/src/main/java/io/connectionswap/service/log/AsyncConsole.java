package io.connectionswap.service.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Puts the root logger's appenders (Spring Boot's console, plain or structured) behind one {@link DroppingAsyncAppender}:
 * a QUIC event loop that logs a line never waits on console I/O, and when the queue is full the line is dropped and
 * counted ({@code connection_swap_log_events_dropped_total}) rather than the loop blocked.
 *
 * <p>Called when an application is ready, after Spring Boot configured logging (Boot configures the console
 * itself, so {@code logging.pattern.console} and {@code logging.structured.format.console} keep working). Idempotent:
 * several roles in one JVM (the end-to-end tests) share one root logger and install it once.
 */
public final class AsyncConsole {

    static final String APPENDER_NAME = "CONNECTION_SWAP_ASYNC";
    static final int QUEUE_SIZE = 16_384;

    private AsyncConsole() {
    }

    /** Wraps the root logger's appenders; does nothing when Logback is not the SLF4J binding or it is done. */
    public static synchronized void install() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root.getAppender(APPENDER_NAME) != null) {
            return;
        }
        List<Appender<ILoggingEvent>> wrapped = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            wrapped.add(it.next());
        }
        if (wrapped.isEmpty()) {
            return;
        }
        DroppingAsyncAppender async = new DroppingAsyncAppender();
        async.setName(APPENDER_NAME);
        async.setContext(context);
        async.setQueueSize(QUEUE_SIZE);
        wrapped.forEach(async::addAppender);
        async.start();
        root.addAppender(async);
        wrapped.forEach(root::detachAppender);
    }

    /** Log events dropped since the JVM started because the queue was full. */
    public static long dropped() {
        return DroppingAsyncAppender.dropped();
    }
}
