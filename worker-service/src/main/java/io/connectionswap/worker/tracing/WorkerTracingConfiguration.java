package io.connectionswap.worker.tracing;

import io.connectionswap.service.tracing.RoleTracingConfiguration;
import io.connectionswap.worker.config.WorkerProperties;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Tracing of the generation streams (README, "Tracing"), on Spring Boot's Micrometer Tracing with the OpenTelemetry
 * bridge. Off by default: the sampler records nothing (Boot's own HTTP spans included) and the stream handlers have
 * no {@link WorkerTracing}. {@code CONNECTION_SWAP_TRACING=true} turns it on: a span per leg served, a child of the
 * director's leg, sampled as {@code management.tracing.sampling.probability} says (1.0 unless set; a caller's sampled
 * flag is followed), exported to {@code management.opentelemetry.tracing.export.otlp.endpoint} once that is set.
 */
@Configuration(proxyBeanMethods = false)
public class WorkerTracingConfiguration extends RoleTracingConfiguration {

    WorkerTracingConfiguration() {
        super("a span per leg served");
    }

    @Bean
    @ConditionalOnBooleanProperty("connection-swap.tracing.enabled")
    WorkerTracing workerTracing(Tracer tracer, Propagator propagator, WorkerProperties worker) {
        return new WorkerTracing(tracer, propagator, worker.label());
    }
}
