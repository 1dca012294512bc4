package io.connectionswap.client.tracing;

import static io.connectionswap.testsupport.tracing.InMemoryTracing.attribute;
import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.tracing.TraceParent;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.testsupport.tracing.InMemoryTracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.TracingObservationHandler;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.reactive.function.server.MockServerRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.reactive.function.server.ServerRequest;
import reactor.core.publisher.Flux;

/** The gateway's span of a generation: where its parent comes from, and what the generation's events leave on it. */
class GatewayTracingTest {

    private static final String CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private final InMemoryTracing tracing = new InMemoryTracing();
    private final GatewayTracing gateway = new GatewayTracing(tracing.tracer(), tracing.propagator());

    @AfterEach
    void close() {
        tracing.close();
    }

    @Test
    void withoutAnHttpServerSpanTheGenerationContinuesTheTraceparentHeader() {
        GatewaySpan span = gateway.start(http(CALLER, null), "g-1", "stand-in", true);
        String handedOn = span.traceparent();
        span.record(Flux.empty()).blockLast();

        SpanData generation = tracing.span(GatewayTracing.GENERATION_SPAN);
        assertThat(generation.getTraceId()).isEqualTo(TraceParent.traceId(CALLER));
        assertThat(generation.getParentSpanId()).isEqualTo(TraceParent.parentId(CALLER));
        assertThat(generation.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(TraceParent.parentId(handedOn)).as("the director's legs are children of this span")
                .isEqualTo(generation.getSpanId());
        assertThat(attribute(generation, "generation.id")).isEqualTo("g-1");
        assertThat(attribute(generation, "model")).isEqualTo("stand-in");
    }

    @Test
    void underBootsHttpServerSpanTheGenerationIsItsChild() {
        Span server = tracing.tracer().spanBuilder().name("http post /v1/completions").start();
        gateway.start(http(null, server), "g-2", null, false).record(Flux.empty()).blockLast();
        server.end();

        SpanData generation = tracing.span(GatewayTracing.GENERATION_SPAN);
        assertThat(generation.getTraceId()).isEqualTo(server.context().traceId());
        assertThat(generation.getParentSpanId()).isEqualTo(server.context().spanId());
        assertThat(generation.getKind()).isEqualTo(SpanKind.INTERNAL);
    }

    @Test
    void aSwapIsAnEventAndTheSpanEndsWithTheGeneration() {
        GatewaySpan span = gateway.start(http(null, null), "g-3", null, true);
        Flux<GenerationEvent> events = Flux.just(
                new GenerationEvent.Assigned("worker-a", "conn-1", 5, "stand-in", 0),
                new GenerationEvent.Token(1, "a", "worker-a"),
                new GenerationEvent.Assigned("worker-b", "conn-1", 9, "stand-in", 1),
                new GenerationEvent.Swapped("health", "worker-a", "worker-b", Duration.ofMillis(80), 1),
                new GenerationEvent.Token(2, "b", "worker-b"),
                new GenerationEvent.Completed("length", null, 2, 0));
        assertThat(span.record(events).collectList().block()).hasSize(6);

        SpanData generation = tracing.span(GatewayTracing.GENERATION_SPAN);
        assertThat(generation.getParentSpanContext().isValid()).as("no caller: a new trace").isFalse();
        assertThat(generation.getEvents()).extracting(EventData::getName).containsExactly("swap");
        assertThat(attribute(generation, "swaps")).isEqualTo("1");
        assertThat(attribute(generation, "swap.reason")).isEqualTo("health");
        assertThat(attribute(generation, "swap.from")).isEqualTo("worker-a");
        assertThat(attribute(generation, "swap.to")).isEqualTo("worker-b");
        assertThat(attribute(generation, "worker")).isEqualTo("worker-a");
        assertThat(attribute(generation, "tokens")).isEqualTo("2");
        assertThat(attribute(generation, "outcome")).isEqualTo("completed");
        assertThat(generation.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
    }

    @Test
    void aFailedOrCancelledGenerationSaysSo() {
        gateway.start(http(null, null), "g-4", null, true)
                .record(Flux.error(new GenerationException(ErrorCode.MIGRATION_LIMIT, "moved 3 times", 7)))
                .onErrorComplete().blockLast();
        gateway.start(http(null, null), "g-5", null, true)
                .record(Flux.never()).take(Duration.ofMillis(10)).blockLast();

        assertThat(tracing.spans()).hasSize(2);
        SpanData failed = tracing.spans().get(0);
        assertThat(attribute(failed, "outcome")).isEqualTo("failed");
        assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(failed.getStatus().getDescription()).contains("moved 3 times");
        assertThat(attribute(tracing.spans().get(1), "outcome")).isEqualTo("cancelled");
    }

    /** A request with an optional {@code traceparent} header and an optional span of Boot's HTTP server observation. */
    private static ServerRequest http(String traceparent, Span serverSpan) {
        MockServerHttpRequest.BodyBuilder request = MockServerHttpRequest.post("/v1/completions");
        if (traceparent != null) {
            request.header(TraceParent.HEADER, traceparent);
        }
        MockServerWebExchange exchange = MockServerWebExchange.from(request);
        if (serverSpan != null) {
            ServerRequestObservationContext observation = new ServerRequestObservationContext(exchange.getRequest(),
                    exchange.getResponse(), exchange.getAttributes());
            TracingObservationHandler.TracingContext context = new TracingObservationHandler.TracingContext();
            context.setSpan(serverSpan);
            observation.put(TracingObservationHandler.TracingContext.class, context);
            exchange.getAttributes().put(ServerRequestObservationContext.CURRENT_OBSERVATION_CONTEXT_ATTRIBUTE,
                    observation);
        }
        MockServerRequest.Builder builder = MockServerRequest.builder().exchange(exchange);
        if (traceparent != null) {
            builder.header(TraceParent.HEADER, traceparent);
        }
        return builder.build();
    }
}
