package io.connectionswap.service.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.AppenderBase;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DroppingAsyncAppenderTest {

    /** A console that hangs (a stuck pipe) until released. */
    static final class StuckConsole extends AppenderBase<ILoggingEvent> {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger written = new AtomicInteger();
        final java.util.List<String> messages = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        protected void append(ILoggingEvent event) {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            written.incrementAndGet();
            messages.add(event.getFormattedMessage());
        }
    }

    @Test
    void aStuckConsoleNeverBlocksTheLoggerAndEveryDropIsCounted() throws Exception {
        LoggerContext context = newContext();
        StuckConsole console = startedConsole(context);
        DroppingAsyncAppender async = startedAsync(context, console, 8);
        long droppedBefore = DroppingAsyncAppender.dropped();

        // 1 000 lines against a queue of 8 whose console never returns: a blocking appender would hang here
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (int i = 0; i < 1_000; i++) {
                async.doAppend(event(context, i % 2 == 0 ? Level.INFO : Level.WARN, "line " + i));
            }
        });
        long dropped = DroppingAsyncAppender.dropped() - droppedBefore;
        // at most the queue plus the one event the worker thread holds got through; the rest were dropped and
        // counted, except for the few that may lose the race for the last slot (the count is a lower bound)
        assertThat(dropped).isBetween(1_000L - 8 - 1 - 8, 1_000L - 8);

        console.release.countDown();
        async.stop();
        assertThat(console.written.get()).isBetween(1, 9 + 8);
    }

    @Test
    void aFloodOfTokenLinesLeavesRoomForTheLinesOfRequests() throws Exception {
        LoggerContext context = newContext();
        StuckConsole console = startedConsole(context);
        DroppingAsyncAppender async = startedAsync(context, console, 64);

        for (int i = 0; i < 1_000; i++) {
            async.doAppend(new LoggingEvent(DroppingAsyncAppenderTest.class.getName(),
                    context.getLogger("io.connectionswap.client.tokens"), Level.INFO, "received token " + i, null, null));
        }
        async.doAppend(event(context, Level.INFO, "gateway request done"));
        for (int i = 0; i < 1_000; i++) {
            async.doAppend(event(context, Level.INFO, "gateway request done " + i));
        }
        async.doAppend(event(context, Level.WARN, "gateway closed an http connection"));

        console.release.countDown();
        async.stop();
        assertThat(console.messages).contains("gateway request done", "gateway closed an http connection");
        // the queue's share for bulk lines, plus what the worker drained into its batch before the console hung
        assertThat(console.messages).filteredOn(message -> message.startsWith("received token"))
                .hasSizeLessThanOrEqualTo(2 * 64);
    }

    private static ILoggingEvent event(LoggerContext context, Level level, String message) {
        return new LoggingEvent(DroppingAsyncAppenderTest.class.getName(),
                context.getLogger("test"), level, message, null, null);
    }

    private static LoggerContext newContext() {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        return context;
    }

    private static StuckConsole startedConsole(LoggerContext context) {
        StuckConsole console = new StuckConsole();
        console.setContext(context);
        console.start();
        return console;
    }

    /** The appender under test, with a queue of {@code queueSize} in front of {@code console}. */
    private static DroppingAsyncAppender startedAsync(LoggerContext context, StuckConsole console, int queueSize) {
        DroppingAsyncAppender async = new DroppingAsyncAppender();
        async.setContext(context);
        async.setQueueSize(queueSize);
        async.addAppender(console);
        async.start();
        return async;
    }
}
