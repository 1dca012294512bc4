package io.connectionswap.service.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.connectionswap.protocol.tracing.ActuatorSpans;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.SpanExportingPredicate;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.otlp.OtlpTracingAutoConfiguration;
import org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/**
 * What every role's tracing shares, in a Boot context with Boot's own tracing auto-configuration: off by default, on
 * with one setting, Boot's sampling property honoured while on, spans exported over OTLP/HTTP once an endpoint is set,
 * Actuator spans left out. (Each role's test checks only its own bean.)
 */
class RoleTracingConfigurationTest {

    /** A role as the services write one: the shared part, and what it records when on. */
    @Configuration(proxyBeanMethods = false)
    static class SomeRoleTracing extends RoleTracingConfiguration {
        SomeRoleTracing() {
            super("a span per test");
        }
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(OpenTelemetrySdkAutoConfiguration.class,
                    OpenTelemetryTracingAutoConfiguration.class, MicrometerTracingAutoConfiguration.class))
            .withUserConfiguration(SomeRoleTracing.class);

    @Test
    void offByDefaultNothingIsRecorded() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(TracingProperties.class).enabled()).isFalse();
            assertThat(context.getBean(Sampler.class).getDescription()).isEqualTo("AlwaysOffSampler");
            Span span = context.getBean(Tracer.class).nextSpan().name("anything").start();
            assertThat(span.isNoop()).as("a span of Boot's own observations is not recorded").isTrue();
            span.end();
        });
    }

    @Test
    void onWithOneSettingEverythingIsSampledUnlessBootsPropertySaysOtherwise() {
        runner.withPropertyValues("connection-swap.tracing.enabled=true").run(context -> {
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
    void spansLeaveOverOtlpHttpOnceAnEndpointIsSet() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(exchange.getRequestMethod() + " " + exchange.getRequestHeaders().getFirst("Content-Type")
                    + " " + body.length);
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try {
            runner.withConfiguration(AutoConfigurations.of(OtlpTracingAutoConfiguration.class))
                    .withPropertyValues("connection-swap.tracing.enabled=true",
                            "management.opentelemetry.tracing.export.otlp.endpoint=http://127.0.0.1:"
                                    + collector.getAddress().getPort() + "/v1/traces")
                    .run(context -> {
                        assertThat(context).hasSingleBean(OtlpHttpSpanExporter.class);
                        context.getBean(Tracer.class).nextSpan().name("exported").start().end();
                        context.getBean(SdkTracerProvider.class).forceFlush().join(10, TimeUnit.SECONDS);
                        assertThat(received).singleElement().asString().startsWith("POST application/x-protobuf");
                    });
        } finally {
            collector.stop(0);
        }
    }

    @Test
    void actuatorSpansAreNotExported() {
        runner.run(context -> assertThat(context.getBean(SpanExportingPredicate.class))
                .isInstanceOf(ActuatorSpans.class));
    }
}
