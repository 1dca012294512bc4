package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/**
 * The director to a worker on a generation's relayed stream, when the worker sends that generation's tokens on the
 * connection's token stream ({@link TokenStream}): {@code paused}, the client reads nothing now, so produce no more
 * tokens for this stream; not {@code paused}, go on. Back-pressure per generation, which the relayed stream's own
 * flow control gave before its tokens moved to the shared token stream. A worker sends no more than the model events
 * it had asked for after a pause.
 *
 * @param paused whether the worker must stop producing tokens for this stream
 */
public record Pause(boolean paused) implements Message {

    @Override
    public FrameType frameType() {
        return FrameType.PAUSE;
    }
}
