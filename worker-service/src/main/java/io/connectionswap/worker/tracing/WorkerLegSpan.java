package io.connectionswap.worker.tracing;

import io.connectionswap.protocol.tracing.OutcomeSpan;
import io.micrometer.tracing.Span;

/**
 * The span of one leg of a generation on this worker: from the director's assignment to END, ERROR or the director
 * ending the stream. Its {@code traceparent} goes to the model backend, so an upstream model server's spans are its
 * children. Ends once; touched at the start and the end of the leg only, never per token.
 */
public final class WorkerLegSpan extends OutcomeSpan<WorkerLegOutcome> {

    WorkerLegSpan(Span span, String traceparent) {
        super(span, traceparent);
    }

    /**
     * A completed leg's finish reason in {@code finish.reason}; any other ending's error code in {@code error.code}.
     *
     * @param reason the finish reason or the error code, or null
     */
    @Override
    protected void tagEnding(WorkerLegOutcome outcome, String reason, String detail) {
        tag(outcome == WorkerLegOutcome.COMPLETED ? "finish.reason" : "error.code", reason);
    }
}
