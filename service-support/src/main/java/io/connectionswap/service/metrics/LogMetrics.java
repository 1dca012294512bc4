package io.connectionswap.service.metrics;

import io.connectionswap.service.log.AsyncConsole;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/** The logging meter every role has: log lines dropped because the asynchronous console queue was full. */
public final class LogMetrics {

    private LogMetrics() {
    }

    public static void bind(MeterRegistry registry) {
        FunctionCounter.builder("connection.swap.log.events.dropped", AsyncConsole.class, ignored -> AsyncConsole.dropped())
                .description("log lines dropped because the asynchronous console queue was full (logging never "
                        + "blocks an event loop)")
                .register(registry);
    }
}
