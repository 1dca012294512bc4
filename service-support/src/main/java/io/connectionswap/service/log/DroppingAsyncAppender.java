package io.connectionswap.service.log;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.concurrent.atomic.LongAdder;

/**
 * Logback's {@link AsyncAppender} that never blocks its caller: no event is discarded while the queue has room (of
 * any level), and an event that finds the queue full is dropped and counted. Logback's own {@code neverBlock}
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
        if (getRemainingCapacity() == 0) {
            DROPPED.increment();
            return;
        }
        super.append(event);
    }
}
