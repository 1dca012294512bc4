package io.connectionswap.director.tracing;

import io.connectionswap.protocol.tracing.SpanOutcome;

/** How one leg of a generation (one client stream relayed to one worker) ended, as its span says it. */
public enum LegOutcome implements SpanOutcome {
    /** The worker sent END: the generation is complete. */
    COMPLETED(false),
    /** The worker failed; the client was asked to resume on another worker (a swap). */
    SWAPPED(true),
    /** The worker failed, but the generation may not move again: the client got MIGRATION_LIMIT. */
    MIGRATION_LIMIT(true),
    /** No worker took the leg (no healthy worker, unknown model, a limit): the client got the error. */
    REFUSED(true),
    /** The worker refused the request as the request's fault (too large, bad request): final for the client. */
    REQUEST_ERROR(true),
    /** The client closed or reset its stream, or went away while its worker failed. */
    CLIENT_GONE(false),
    /** The client stopped reading for too long: its stream was reset. */
    CLIENT_TOO_SLOW(true),
    /** The leg lived longer than allowed: STREAM_TIMEOUT. */
    TIMEOUT(true),
    /** The director stops; the client resumes at another director. */
    DIRECTOR_STOPPING(false);

    private final boolean failure;

    LegOutcome(boolean failure) {
        this.failure = failure;
    }

    @Override
    public boolean failure() {
        return failure;
    }
}
