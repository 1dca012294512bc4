package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/**
 * The director ended the client's stream because its worker failed; the client resumes on a new stream of the
 * same connection after {@code lastSequence}, the last token the director relayed.
 *
 * @param reason       swap reason: health, stream_error, connection_lost, stall, drain
 * @param lastSequence last token relayed to the client on the ended stream
 * @param failedWorker label of the worker that failed
 * @param detail       human-readable cause
 */
public record Retry(String reason, int lastSequence, String failedWorker, String detail) implements Message {

    public Retry {
        Message.require(reason, "reason");
        Message.requireNonNegative(lastSequence, "lastSequence");
    }

    @Override
    public FrameType frameType() {
        return FrameType.RETRY;
    }
}
