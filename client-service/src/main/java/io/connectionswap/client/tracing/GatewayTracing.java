package io.connectionswap.client.tracing;

import io.connectionswap.protocol.tracing.TraceParent;
import io.connectionswap.protocol.tracing.W3cSpans;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.web.reactive.function.server.ServerRequest;

/**
 * Spans of the gateway, one per generation: a child of the HTTP request's server span (which continues the request's
 * W3C {@code traceparent} header), or, without one, of that header itself, or the root of a new trace. Its
 * {@code traceparent} rides in the generation request to the director on every leg, resumes included, so a
 * generation is one trace across hops and swaps. Exists only while tracing is on ({@code CONNECTION_SWAP_TRACING=true}).
 */
public final class GatewayTracing {

    /** The name of a generation's span. */
    public static final String GENERATION_SPAN = "gateway.generation";

    private final W3cSpans spans;

    public GatewayTracing(Tracer tracer, Propagator propagator) {
        this.spans = new W3cSpans(tracer, propagator);
    }

    /** Starts the span of generation {@code generationId}, asked for by {@code http}. */
    public GatewaySpan start(ServerRequest http, String generationId, String model, boolean stream) {
        Span server = serverSpan(http);
        Span.Builder builder = server != null
                ? spans.childOf(server) // an internal span under Boot's HTTP server span
                : spans.continuing(http.headers().firstHeader(TraceParent.HEADER)).kind(Span.Kind.SERVER);
        builder.name(GENERATION_SPAN)
                .tag("generation.id", generationId)
                .tag("stream", stream);
        if (model != null) {
            builder.tag("model", model);
        }
        Span span = builder.start();
        return new GatewaySpan(span, spans.traceparent(span));
    }

    /** The span Boot's HTTP server observation made for this request, if there is one. */
    private static Span serverSpan(ServerRequest http) {
        return ServerRequestObservationContext.findCurrent(http.exchange().getAttributes())
                .map(context -> context.<TracingObservationHandler.TracingContext>get(
                        TracingObservationHandler.TracingContext.class))
                .map(TracingObservationHandler.TracingContext::getSpan)
                .orElse(null);
    }
}
