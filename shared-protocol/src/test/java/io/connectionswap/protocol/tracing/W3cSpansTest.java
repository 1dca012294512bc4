package io.connectionswap.protocol.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class W3cSpansTest {

    private static final String CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private final InMemorySpanExporter exported = InMemorySpanExporter.create();
    private final SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exported)).build();
    private final io.opentelemetry.api.trace.Tracer otel = provider.get("test");
    private final W3cSpans spans = new W3cSpans(
            new OtelTracer(otel, new OtelCurrentTraceContext(), event -> { }),
            new OtelPropagator(ContextPropagators.create(W3CTraceContextPropagator.getInstance()), otel));

    @AfterEach
    void close() {
        provider.close();
    }

    @Test
    void aHopContinuesTheCallersTraceAndHandsItsOwnSpanToTheNext() {
        Span leg = spans.continuing(CALLER).name("leg").start();
        String next = spans.traceparent(leg);
        Span worker = spans.continuing(next).name("worker").start();
        worker.end();
        leg.end();

        assertThat(TraceParent.isValid(next)).isTrue();
        assertThat(TraceParent.traceId(next)).isEqualTo(TraceParent.traceId(CALLER));
        assertThat(TraceParent.parentId(next)).isEqualTo(leg.context().spanId());
        assertThat(TraceParent.sampled(next)).isTrue();
        List<SpanData> ended = exported.getFinishedSpanItems();
        SpanData legData = ended.stream().filter(span -> span.getName().equals("leg")).findFirst().orElseThrow();
        SpanData workerData = ended.stream().filter(span -> span.getName().equals("worker")).findFirst().orElseThrow();
        assertThat(legData.getTraceId()).isEqualTo(TraceParent.traceId(CALLER));
        assertThat(legData.getParentSpanId()).isEqualTo(TraceParent.parentId(CALLER));
        assertThat(legData.getParentSpanContext().isRemote()).isTrue();
        assertThat(workerData.getParentSpanId()).isEqualTo(legData.getSpanId());
        assertThat(workerData.getTraceId()).isEqualTo(legData.getTraceId());
    }

    @Test
    void noOrAnInvalidTraceparentStartsANewTrace() {
        Span root = spans.continuing(null).name("root").start();
        Span other = spans.continuing("00-garbage").name("other").start();
        Span child = spans.childOf(root).name("child").start();
        child.end();
        other.end();
        root.end();

        SpanData rootData = exported.getFinishedSpanItems().stream().filter(span -> span.getName().equals("root"))
                .findFirst().orElseThrow();
        assertThat(rootData.getParentSpanContext().isValid()).isFalse();
        assertThat(root.context().traceId()).isNotEqualTo(other.context().traceId());
        assertThat(child.context().traceId()).isEqualTo(root.context().traceId());
        assertThat(child.context().parentId()).isEqualTo(root.context().spanId());
    }

    @Test
    void anUnsampledCallerStaysUnsampled() {
        String unsampled = CALLER.substring(0, 53) + "00";
        Span leg = spans.continuing(unsampled).name("leg").start();
        assertThat(spans.traceparent(leg)).endsWith("-00").contains(TraceParent.traceId(CALLER));
        leg.end();
    }
}
