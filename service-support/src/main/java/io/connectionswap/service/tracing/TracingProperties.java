package io.connectionswap.service.tracing;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code connection-swap.tracing.*}, the same for every role: whether it records spans (README, "Tracing"). Sampling
 * and export are Spring Boot's own {@code management.tracing.*} and {@code management.opentelemetry.tracing.export.*}
 * properties.
 *
 * @param enabled {@code CONNECTION_SWAP_TRACING}; off by default: nothing is recorded, and a generation's
 *                {@code traceparent} passes through the role untouched (the gateway's HTTP header, the director's and
 *                the worker's generation request, the worker's model request)
 */
@ConfigurationProperties("connection-swap.tracing")
public record TracingProperties(@DefaultValue("false") boolean enabled) {
}
