package io.connectionswap.client.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration;
import org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The gateway's tracing bean exists only while tracing is on (off, a request's {@code traceparent} passes on as it
 * is); the shared part (sampler, export, Actuator spans) is {@code RoleTracingConfigurationTest}'s.
 */
class ClientTracingConfigurationTest {

    @Test
    void theGatewayTracesOnlyWhenTracingIsOn() {
        ApplicationContextRunner runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(OpenTelemetrySdkAutoConfiguration.class,
                        OpenTelemetryTracingAutoConfiguration.class, MicrometerTracingAutoConfiguration.class))
                .withUserConfiguration(ClientTracingConfiguration.class);
        runner.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(GatewayTracing.class));
        runner.withPropertyValues("connection-swap.tracing.enabled=true")
                .run(context -> assertThat(context).hasSingleBean(GatewayTracing.class));
    }
}
