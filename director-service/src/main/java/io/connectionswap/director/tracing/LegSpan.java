package io.connectionswap.director.tracing;

import io.connectionswap.protocol.tracing.OutcomeSpan;
import io.micrometer.tracing.Span;

/**
 * The span of one leg of a generation on the director: from the client's GENERATE to END, a swap, or another end.
 * Its {@code traceparent} goes to the worker in the assignment, so the worker's span is its child. Ends once; touched
 * at the start and the end of a leg only, never per token. Confined to the routing loop.
 */
public final class LegSpan extends OutcomeSpan<LegOutcome> {

    LegSpan(Span span, String traceparent) {
        super(span, traceparent);
    }

    /** The leg was given to {@code workerLabel} at {@code workerAddress}. */
    public void assigned(String workerLabel, String workerAddress) {
        tag("worker", workerLabel);
        tag("worker.addr", workerAddress);
    }

    /**
     * A swap adds the event {@code swap} (a migration limit {@code migration limit}) and the attributes
     * {@code swap.reason} and {@code swap.detail}; a refusal or an error the request's code in {@code error.code}.
     *
     * @param reason the swap reason, or the error code, or null
     * @param detail what happened, in words, or null
     */
    @Override
    protected void tagEnding(LegOutcome outcome, String reason, String detail) {
        switch (outcome) {
            case SWAPPED, MIGRATION_LIMIT -> {
                event(outcome == LegOutcome.SWAPPED ? "swap" : "migration limit");
                tag("swap.reason", reason);
                tag("swap.detail", detail);
            }
            case REFUSED, REQUEST_ERROR -> tag("error.code", reason);
            default -> {
            }
        }
    }
}
