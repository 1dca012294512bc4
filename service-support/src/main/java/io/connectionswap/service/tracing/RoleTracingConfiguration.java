package io.connectionswap.service.tracing;

import io.connectionswap.protocol.tracing.ActuatorSpans;
import io.micrometer.tracing.exporter.SpanExportingPredicate;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * What every role's tracing configuration shares (README, "Tracing"), on Spring Boot's Micrometer Tracing with the
 * OpenTelemetry bridge: {@code connection-swap.tracing.*} ({@link TracingProperties}), the sampler
 * ({@link TracingSampler}: nothing while off, Boot's own HTTP spans included; {@code
 * management.tracing.sampling.probability} while on) and Actuator requests left out of the export
 * ({@link ActuatorSpans}). Spans leave over OTLP once {@code management.opentelemetry.tracing.export.otlp.endpoint} is
 * set.
 *
 * <p>A role's {@code @Configuration} extends this and adds its one bean, conditional on {@code
 * connection-swap.tracing.enabled}: the gateway's, the relay's or the worker's spans.
 */
@EnableConfigurationProperties(TracingProperties.class)
public abstract class RoleTracingConfiguration {

    private static final Logger log = LoggerFactory.getLogger(RoleTracingConfiguration.class);

    private final String whenOn;

    /** {@code whenOn}: what the role records while tracing is on, for its start-up line ("a span per leg served"). */
    protected RoleTracingConfiguration(String whenOn) {
        this.whenOn = whenOn;
    }

    /** Replaces Boot's sampler (10 % of new traces by default) with: nothing while off, Boot's probability while on. */
    @Bean
    Sampler connectionSwapSampler(TracingProperties tracing, Environment environment) {
        return TracingSampler.of(tracing.enabled(), environment, whenOn, log);
    }

    @Bean
    SpanExportingPredicate actuatorSpansNotExported() {
        return new ActuatorSpans();
    }
}
