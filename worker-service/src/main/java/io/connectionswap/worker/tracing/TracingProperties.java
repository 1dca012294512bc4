package io.connectionswap.worker.tracing;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code connection-swap.tracing.*}: whether this worker records a span for each leg of a generation it serves (README,
 * "Tracing"). Sampling and export are Spring Boot's own {@code management.tracing.*} and
 * {@code management.opentelemetry.tracing.export.*} properties.
 *
 * @param enabled {@code CONNECTION_SWAP_TRACING}; off by default: nothing is recorded, and a generation's
 *                {@code traceparent} passes through to the model backend untouched
 */
@ConfigurationProperties("connection-swap.tracing")
public record TracingProperties(@DefaultValue("false") boolean enabled) {
}
