package io.connectionswap.worker.tracing;

import io.connectionswap.protocol.tracing.W3cSpans;
import io.micrometer.tracing.Span;

/**
 * The span of one leg of a generation on this worker: from the director's assignment to END, ERROR or the director
 * ending the stream. Its {@code traceparent} goes to the model backend, so an upstream model server's spans are its
 * children. Ends once; touched at the start and the end of the leg only, never per token.
 */
public final class WorkerLegSpan {

    private final Span span;
    private final String traceparent;
    private boolean ended;

    WorkerLegSpan(Span span, String traceparent) {
        this.span = span;
        this.traceparent = traceparent;
    }

    /** This leg as the parent of what the model backend calls. */
    public String traceparent() {
        return traceparent;
    }

    /**
     * Ends the span with {@code outcome}. Later calls do nothing.
     *
     * @param lastSequence last token sent
     * @param reason       the finish reason or the error code, or null
     * @param detail       what went wrong, in words, or null
     */
    public void end(WorkerLegOutcome outcome, int lastSequence, String reason, String detail) {
        if (ended) {
            return;
        }
        ended = true;
        span.tag("outcome", outcome.tag());
        span.tag("last.seq", lastSequence);
        if (reason != null) {
            span.tag(outcome == WorkerLegOutcome.COMPLETED ? "finish.reason" : "error.code", reason);
        }
        if (outcome.failure()) {
            W3cSpans.failed(span, outcome.tag() + (reason == null ? "" : " " + reason)
                    + (detail == null ? "" : ": " + detail));
        }
        span.end();
    }
}
