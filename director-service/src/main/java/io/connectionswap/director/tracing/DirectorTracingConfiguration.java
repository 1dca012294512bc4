package io.connectionswap.director.tracing;

import io.connectionswap.service.tracing.RoleTracingConfiguration;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Tracing of the relay (README, "Tracing"), on Spring Boot's Micrometer Tracing with the OpenTelemetry bridge. Off by
 * default: the sampler records nothing (Boot's own HTTP spans included) and the relay has no {@link RelayTracing}.
 * {@code CONNECTION_SWAP_TRACING=true} turns it on: a span per leg, sampled as
 * {@code management.tracing.sampling.probability} says (1.0 unless set; a caller's sampled flag is followed), exported
 * to {@code management.opentelemetry.tracing.export.otlp.endpoint} once that is set.
 */
@Configuration(proxyBeanMethods = false)
public class DirectorTracingConfiguration extends RoleTracingConfiguration {

    DirectorTracingConfiguration() {
        super("a span per leg of every generation");
    }

    @Bean
    @ConditionalOnBooleanProperty("connection-swap.tracing.enabled")
    RelayTracing relayTracing(Tracer tracer, Propagator propagator) {
        return new RelayTracing(tracer, propagator);
    }
}
