package io.connectionswap.director.tracing;

import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.tracing.W3cSpans;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

/**
 * Spans of the relay, one per leg: a client stream's generation request (new, or a resume after a swap) until the
 * leg ends. Each continues the request's {@code traceparent} (the gateway's span), so every leg of a generation,
 * before and after each swap, is a child in the same trace. Exists only while tracing is on
 * ({@code CONNECTION_SWAP_TRACING=true}); the relay then holds null and does nothing more than that null check.
 */
public final class RelayTracing {

    /** The name of a leg's span. */
    public static final String LEG_SPAN = "director.leg";

    private final W3cSpans spans;

    public RelayTracing(Tracer tracer, Propagator propagator) {
        this.spans = new W3cSpans(tracer, propagator);
    }

    /** Starts the span of the leg that {@code request} opens on client stream {@code streamId}. */
    public LegSpan startLeg(long streamId, String connectionId, GenerationRequest request) {
        Span.Builder builder = spans.continuing(request.traceparent())
                .name(LEG_SPAN)
                .kind(Span.Kind.SERVER)
                .tag("generation.id", request.generationId())
                .tag("stream.id", streamId)
                .tag("connection.id", connectionId)
                .tag("migration", request.migrations())
                .tag("resume.after", request.resumeAfter());
        if (request.model() != null) {
            builder.tag("model", request.model());
        }
        if (request.avoidWorker() != null) {
            builder.tag("avoid.worker", request.avoidWorker());
        }
        Span span = builder.start();
        return new LegSpan(span, spans.traceparent(span));
    }
}
