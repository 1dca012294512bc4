package io.connectionswap.testsupport.tracing;

import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.List;

/**
 * Micrometer Tracing on an OpenTelemetry SDK whose ended spans stay in memory ({@link InMemorySpanExporter}, exported
 * as each span ends), with W3C propagation: what the services get from Spring Boot with tracing on, for unit tests.
 */
public final class InMemoryTracing implements AutoCloseable {

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final Propagator propagator;

    /** Every span sampled. */
    public InMemoryTracing() {
        this(Sampler.alwaysOn());
    }

    public InMemoryTracing(Sampler sampler) {
        provider = SdkTracerProvider.builder().setSampler(sampler).addSpanProcessor(SimpleSpanProcessor.create(exporter))
                .build();
        io.opentelemetry.api.trace.Tracer otel = provider.get("test");
        tracer = new OtelTracer(otel, new OtelCurrentTraceContext(), event -> { });
        propagator = new OtelPropagator(ContextPropagators.create(W3CTraceContextPropagator.getInstance()), otel);
    }

    public Tracer tracer() {
        return tracer;
    }

    public Propagator propagator() {
        return propagator;
    }

    /** The spans ended so far, in the order they ended. */
    public List<SpanData> spans() {
        return exporter.getFinishedSpanItems();
    }

    /** The one ended span named {@code name}; fails when there is none or more than one. */
    public SpanData span(String name) {
        List<SpanData> named = spans().stream().filter(span -> span.getName().equals(name)).toList();
        if (named.size() != 1) {
            throw new AssertionError(named.size() + " spans named " + name + " (expected 1): " + spans());
        }
        return named.get(0);
    }

    /** The attribute {@code key} of {@code span} as text (whatever its type), or null. */
    public static String attribute(SpanData span, String key) {
        return span.getAttributes().asMap().entrySet().stream()
                .filter(entry -> entry.getKey().getKey().equals(key))
                .map(entry -> String.valueOf(entry.getValue()))
                .findFirst().orElse(null);
    }

    @Override
    public void close() {
        provider.close();
    }
}
