package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/**
 * The director ended the client's stream because its worker failed; the client resumes on a new stream of the
 * same connection after {@code lastSequence}, the last token the director relayed. With reason
 * {@link #DIRECTOR_DRAIN} the director itself is shutting down (it sent GOAWAY first): the client resumes at
 * another director replica, and the move is not a worker failure (it does not count as a migration, and the
 * worker is not avoided). With reason {@link #WORKER_DRAIN} the worker shuts down: the client resumes at another
 * worker, avoiding that one, and the move does not count as a migration either.
 *
 * @param reason       swap reason: health, stream_error, connection_lost, stall, drain, or director_drain
 * @param lastSequence last token relayed to the client on the ended stream
 * @param failedWorker label of the worker that failed (with director_drain: the worker the stream left, healthy)
 * @param detail       human-readable cause
 */
public record Retry(String reason, int lastSequence, String failedWorker, String detail) implements Message {

    /** The director is shutting down: resume at another director; not a migration. */
    public static final String DIRECTOR_DRAIN = "director_drain";
    /** The worker is draining (shutting down): resume at another worker, avoiding it; not a migration either. */
    public static final String WORKER_DRAIN = "drain";

    public Retry {
        Message.require(reason, "reason");
        Message.requireNonNegative(lastSequence, "lastSequence");
    }

    /**
     * Whether this move counts toward the migration limit: a worker that failed; not a worker or a director that
     * shuts down (the limit ends a generation that fails wherever it goes, not one that meets a rolling update).
     */
    public boolean countsAsMigration() {
        return !DIRECTOR_DRAIN.equals(reason) && !WORKER_DRAIN.equals(reason);
    }

    /** Whether the stream ended because its director shuts down, not because its worker failed. */
    public boolean directorDraining() {
        return DIRECTOR_DRAIN.equals(reason);
    }

    @Override
    public FrameType frameType() {
        return FrameType.RETRY;
    }
}
