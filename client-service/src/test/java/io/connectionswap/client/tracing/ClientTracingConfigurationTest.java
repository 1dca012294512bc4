package io.connectionswap.client.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.SpanExportingPredicate;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration;
import org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Off by default, on with one setting, Boot's own sampling property honoured while on. */
class ClientTracingConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(OpenTelemetrySdkAutoConfiguration.class,
                    OpenTelemetryTracingAutoConfiguration.class, MicrometerTracingAutoConfiguration.class))
            .withUserConfiguration(ClientTracingConfiguration.class);

    @Test
    void offByDefaultNothingIsRecordedAndTheRelayHasNoTracing() {
        runner.run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(GatewayTracing.class);
            assertThat(context.getBean(Sampler.class).getDescription()).isEqualTo("AlwaysOffSampler");
            Span span = context.getBean(Tracer.class).nextSpan().name("anything").start();
            assertThat(span.isNoop()).as("a span of Boot's own observations is not recorded").isTrue();
            span.end();
        });
    }

    @Test
    void onWithOneSettingEverythingIsSampledUnlessBootsPropertySaysOtherwise() {
        runner.withPropertyValues("connection-swap.tracing.enabled=true").run(context -> {
            assertThat(context).hasSingleBean(GatewayTracing.class);
            assertThat(context.getBean(Sampler.class).getDescription()).contains("TraceIdRatioBased{1.000000}");
            Span span = context.getBean(Tracer.class).nextSpan().name("anything").start();
            assertThat(span.isNoop()).isFalse();
            span.end();
        });
        runner.withPropertyValues("connection-swap.tracing.enabled=true", "management.tracing.sampling.probability=0.25")
                .run(context -> assertThat(context.getBean(Sampler.class).getDescription())
                        .startsWith("ParentBased{root:TraceIdRatioBased{0.250000}"));
    }

    @Test
    void actuatorSpansAreNotExported() {
        runner.run(context -> assertThat(context).hasSingleBean(SpanExportingPredicate.class));
    }
}
