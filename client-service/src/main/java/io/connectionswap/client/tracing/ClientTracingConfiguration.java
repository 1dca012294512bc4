package io.connectionswap.client.tracing;

import io.connectionswap.service.tracing.RoleTracingConfiguration;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Tracing of the gateway (README, "Tracing"), on Spring Boot's Micrometer Tracing with the OpenTelemetry bridge. Off
 * by default: the sampler records nothing (Boot's own HTTP spans included), the gateway has no {@link GatewayTracing}
 * and passes a request's valid {@code traceparent} header on as it is. {@code CONNECTION_SWAP_TRACING=true} turns it
 * on: a span per generation, sampled as {@code management.tracing.sampling.probability} says (1.0 unless set; a
 * caller's sampled flag is followed), exported to {@code management.opentelemetry.tracing.export.otlp.endpoint} once
 * that is set.
 */
@Configuration(proxyBeanMethods = false)
public class ClientTracingConfiguration extends RoleTracingConfiguration {

    ClientTracingConfiguration() {
        super("a span per gateway generation");
    }

    @Bean
    @ConditionalOnBooleanProperty("connection-swap.tracing.enabled")
    GatewayTracing gatewayTracing(Tracer tracer, Propagator propagator) {
        return new GatewayTracing(tracer, propagator);
    }
}
