package io.connectionswap.protocol.tracing;

import io.micrometer.tracing.Span;

/**
 * The span of one leg of a generation on one role, with the {@code traceparent} that makes the next hop's span its
 * child. Ends once, with the leg's {@code outcome} and {@code last.seq} attributes and, when the outcome is a failure,
 * the error status; touched at the start and the end of the leg only, never per token. Each role adds the attributes
 * of its own endings ({@link #tagEnding}).
 *
 * @param <O> the role's endings
 */
public abstract class OutcomeSpan<O extends SpanOutcome> {

    private final Span span;
    private final String traceparent;
    private boolean ended;

    protected OutcomeSpan(Span span, String traceparent) {
        this.span = span;
        this.traceparent = traceparent;
    }

    /** This leg as the parent of the next hop's span. */
    public final String traceparent() {
        return traceparent;
    }

    /**
     * Ends the span with {@code outcome}. Later calls do nothing.
     *
     * @param lastSequence last token of the leg
     * @param reason       a reason or an error code, or null ({@link #tagEnding} says which)
     * @param detail       what happened, in words, or null
     */
    public final void end(O outcome, int lastSequence, String reason, String detail) {
        if (ended) {
            return;
        }
        ended = true;
        span.tag("outcome", outcome.tag());
        span.tag("last.seq", lastSequence);
        tagEnding(outcome, reason, detail);
        if (outcome.failure()) {
            W3cSpans.failed(span, outcome.tag() + (reason == null ? "" : " " + reason)
                    + (detail == null ? "" : ": " + detail));
        }
        span.end();
    }

    /** The role's attributes for how the leg ended (called once, before the span ends). */
    protected abstract void tagEnding(O outcome, String reason, String detail);

    /** Tags the span; a null value is left out. */
    protected final void tag(String key, String value) {
        if (value != null) {
            span.tag(key, value);
        }
    }

    /** Adds an event to the span. */
    protected final void event(String name) {
        span.event(name);
    }
}
