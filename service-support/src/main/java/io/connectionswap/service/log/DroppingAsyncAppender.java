package io.connectionswap.service.log;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.concurrent.atomic.LongAdder;

/**
 * Logback's {@link AsyncAppender} that never blocks its caller: an event that finds the queue full is dropped and
 * counted. The end of the queue is kept for the lines that matter more: a bulk line (a per-token line of a
 * {@code *.tokens} logger, or a line below INFO) that finds less than a quarter of the queue free is dropped and
 * counted, and so is an INFO line that finds less than a sixteenth free, so a flood of tokens (one line per token at
 * INFO, thousands a second on a busy gateway) cannot crowd out the lines of requests, nor those the warnings and the
 * errors. Logback's own {@code neverBlock}
 * drops silently; the count is what {@code connection_swap_log_events_dropped_total} shows. An event that loses a race for the
 * last free slot is dropped by Logback's offer without being counted, so the count is a lower bound.
 */
final class DroppingAsyncAppender extends AsyncAppender {

    private static final LongAdder DROPPED = new LongAdder();

    DroppingAsyncAppender() {
        setNeverBlock(true);
        setDiscardingThreshold(0);
        setIncludeCallerData(false);
    }

    static long dropped() {
        return DROPPED.sum();
    }

    @Override
    protected void append(ILoggingEvent event) {
        int remaining = getRemainingCapacity();
        if (remaining == 0 || (remaining < getQueueSize() / 4 && bulk(event))
                || (remaining < getQueueSize() / 16 && event.getLevel().toInt() < Level.WARN_INT)) {
            DROPPED.increment();
            return;
        }
        super.append(event);
    }

    /** A line of which there is one per token or per frame: the first to go when the console falls behind. */
    static boolean bulk(ILoggingEvent event) {
        String logger = event.getLoggerName();
        return event.getLevel().toInt() < Level.INFO_INT || (logger != null && logger.endsWith(".tokens"));
    }
}
