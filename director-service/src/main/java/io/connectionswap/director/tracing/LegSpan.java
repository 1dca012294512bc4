package io.connectionswap.director.tracing;

import io.connectionswap.protocol.tracing.W3cSpans;
import io.micrometer.tracing.Span;

/**
 * The span of one leg of a generation on the director: from the client's GENERATE to END, a swap, or another end.
 * Its {@code traceparent} goes to the worker in the assignment, so the worker's span is its child. Ends once; touched
 * at the start and the end of a leg only, never per token. Confined to the routing loop.
 */
public final class LegSpan {

    private final Span span;
    private final String traceparent;
    private boolean ended;

    LegSpan(Span span, String traceparent) {
        this.span = span;
        this.traceparent = traceparent;
    }

    /** This leg as the parent of the worker's span. */
    public String traceparent() {
        return traceparent;
    }

    /** The leg was given to {@code workerLabel} at {@code workerAddress}. */
    public void assigned(String workerLabel, String workerAddress) {
        span.tag("worker", workerLabel);
        span.tag("worker.addr", workerAddress);
    }

    /**
     * Ends the span with {@code outcome}. A swap adds the event {@code swap} and the attributes {@code swap.reason}
     * and {@code swap.detail}; a refusal or an error the request's code in {@code error.code}. Later calls do nothing.
     *
     * @param lastSequence last token relayed to the client
     * @param reason       the swap reason, or the error code, or null
     * @param detail       what happened, in words, or null
     */
    public void end(LegOutcome outcome, int lastSequence, String reason, String detail) {
        if (ended) {
            return;
        }
        ended = true;
        span.tag("outcome", outcome.tag());
        span.tag("last.seq", lastSequence);
        switch (outcome) {
            case SWAPPED, MIGRATION_LIMIT -> {
                span.event(outcome == LegOutcome.SWAPPED ? "swap" : "migration limit");
                tagIfSet("swap.reason", reason);
                tagIfSet("swap.detail", detail);
            }
            case REFUSED, REQUEST_ERROR -> tagIfSet("error.code", reason);
            default -> {
            }
        }
        if (outcome.failure()) {
            W3cSpans.failed(span, outcome.tag() + (reason == null ? "" : " " + reason)
                    + (detail == null ? "" : ": " + detail));
        }
        span.end();
    }

    private void tagIfSet(String key, String value) {
        if (value != null) {
            span.tag(key, value);
        }
    }
}
