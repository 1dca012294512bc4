package io.connectionswap.client.tracing;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code connection-swap.tracing.*}: whether the gateway records a span per generation it serves (README,
 * "Tracing"). Sampling and export are Spring Boot's own {@code management.tracing.*} and
 * {@code management.opentelemetry.tracing.export.*} properties.
 *
 * @param enabled {@code CONNECTION_SWAP_TRACING}; off by default: nothing is recorded, and a valid {@code traceparent}
 *                header of an HTTP request passes through to the director (and on to the model) untouched
 */
@ConfigurationProperties("connection-swap.tracing")
public record TracingProperties(@DefaultValue("false") boolean enabled) {
}
