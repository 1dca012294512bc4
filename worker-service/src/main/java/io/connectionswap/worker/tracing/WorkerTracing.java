package io.connectionswap.worker.tracing;

import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.tracing.W3cSpans;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

/**
 * Spans of this worker, one per leg it serves, each a child of the director's leg named by the assignment's
 * {@code traceparent}. Exists only while tracing is on ({@code CONNECTION_SWAP_TRACING=true}); the stream handler
 * then holds null and does nothing more than that null check.
 */
public final class WorkerTracing {

    /** The name of a leg's span. */
    public static final String LEG_SPAN = "worker.leg";

    private final W3cSpans spans;
    private final String label;

    public WorkerTracing(Tracer tracer, Propagator propagator, String label) {
        this.spans = new W3cSpans(tracer, propagator);
        this.label = label;
    }

    /** Starts the span of the leg {@code assignment} hands over. */
    public WorkerLegSpan startLeg(WorkerAssignment assignment) {
        GenerationRequest request = assignment.request();
        Span.Builder builder = spans.continuing(request.traceparent())
                .name(LEG_SPAN)
                .kind(Span.Kind.SERVER)
                .tag("generation.id", request.generationId())
                .tag("worker", label)
                .tag("stream.id", assignment.streamId())
                .tag("connection.id", assignment.connectionId())
                .tag("migration", request.migrations())
                .tag("resume.after", request.resumeAfter());
        if (request.model() != null) {
            builder.tag("model", request.model());
        }
        Span span = builder.start();
        return new WorkerLegSpan(span, spans.traceparent(span));
    }
}
