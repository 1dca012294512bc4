package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/**
 * The director opens a worker connection's heartbeat stream with this when the worker registered the {@link
 * WorkerRegistration#TOKEN_STREAM} feature: from then on the worker sends the CONNECTED, TOKEN and END frames of every
 * generation on that connection on this stream, each in a TAGGED frame with the generation's stream id, instead of on
 * the generation's own stream. A lockstep tick's tokens of many generations then share datagrams.
 *
 * @param version the token stream's layout; 1 (the only one) is {@code TaggedFrames}
 */
public record TokenStream(int version) implements Message {

    public static final int VERSION = 1;

    public TokenStream {
        if (version < 1) {
            throw new IllegalArgumentException("version: " + version + " (expected: >= 1)");
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.TOKEN_STREAM;
    }
}
