package io.connectionswap.director.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration;
import org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The relay's tracing bean exists only while tracing is on; the shared part (sampler, export, Actuator spans) is
 * {@code RoleTracingConfigurationTest}'s.
 */
class DirectorTracingConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(OpenTelemetrySdkAutoConfiguration.class,
                    OpenTelemetryTracingAutoConfiguration.class, MicrometerTracingAutoConfiguration.class))
            .withUserConfiguration(DirectorTracingConfiguration.class);

    @Test
    void offByDefaultTheRelayHasNoTracing() {
        runner.run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(RelayTracing.class);
            assertThat(context.getBean(Sampler.class).getDescription()).isEqualTo("AlwaysOffSampler");
        });
    }

    @Test
    void onTheRelayTracesItsLegs() {
        runner.withPropertyValues("connection-swap.tracing.enabled=true")
                .run(context -> assertThat(context).hasSingleBean(RelayTracing.class));
    }
}
