package io.connectionswap.worker.tracing;

import io.connectionswap.protocol.tracing.ActuatorSpans;
import io.connectionswap.protocol.tracing.TracingSampler;
import io.connectionswap.worker.config.WorkerProperties;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.SpanExportingPredicate;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Tracing of the generation streams (README, "Tracing"), on Spring Boot's Micrometer Tracing with the OpenTelemetry
 * bridge. Off by default: the sampler records nothing (Boot's own HTTP spans included) and the stream handlers have
 * no {@link WorkerTracing}. {@code CONNECTION_SWAP_TRACING=true} turns it on: a span per leg served, a child of the
 * director's leg, sampled as {@code management.tracing.sampling.probability} says (1.0 unless set; a caller's sampled
 * flag is followed), exported to {@code management.opentelemetry.tracing.export.otlp.endpoint} once that is set.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(TracingProperties.class)
public class WorkerTracingConfiguration {

    private static final Logger log = LoggerFactory.getLogger(WorkerTracingConfiguration.class);

    /** Replaces Boot's sampler (10 % of new traces by default) with: nothing while off, Boot's probability while on. */
    @Bean
    Sampler connectionSwapSampler(TracingProperties tracing, Environment environment) {
        return TracingSampler.of(tracing.enabled(), environment, "a span per leg served", log);
    }

    @Bean
    @ConditionalOnBooleanProperty("connection-swap.tracing.enabled")
    WorkerTracing workerTracing(Tracer tracer, Propagator propagator, WorkerProperties worker) {
        return new WorkerTracing(tracer, propagator, worker.label());
    }

    @Bean
    SpanExportingPredicate actuatorSpansNotExported() {
        return new ActuatorSpans();
    }
}
