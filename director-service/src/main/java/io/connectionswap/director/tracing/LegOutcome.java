package io.connectionswap.director.tracing;

/** How one leg of a generation (one client stream relayed to one worker) ended, as its span says it. */
public enum LegOutcome {
    /** The worker sent END: the generation is complete. */
    COMPLETED("completed", false),
    /** The worker failed; the client was asked to resume on another worker (a swap). */
    SWAPPED("swapped", true),
    /** The worker failed, but the generation may not move again: the client got MIGRATION_LIMIT. */
    MIGRATION_LIMIT("migration_limit", true),
    /** No worker took the leg (no healthy worker, unknown model, a limit): the client got the error. */
    REFUSED("refused", true),
    /** The worker refused the request as the request's fault (too large, bad request): final for the client. */
    REQUEST_ERROR("request_error", true),
    /** The client closed or reset its stream, or went away while its worker failed. */
    CLIENT_GONE("client_gone", false),
    /** The client stopped reading for too long: its stream was reset. */
    CLIENT_TOO_SLOW("client_too_slow", true),
    /** The leg lived longer than allowed: STREAM_TIMEOUT. */
    TIMEOUT("timeout", true),
    /** The director stops; the client resumes at another director. */
    DIRECTOR_STOPPING("director_stopping", false);

    private final String tag;
    private final boolean failure;

    LegOutcome(String tag, boolean failure) {
        this.tag = tag;
        this.failure = failure;
    }

    /** The span's {@code outcome} attribute. */
    public String tag() {
        return tag;
    }

    /** Whether the span ends with the error status. */
    public boolean failure() {
        return failure;
    }
}
