package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/** One generated token; sequence numbers start at 1 and are contiguous within a generation. */
public record Token(int sequence, String text) implements Message {

    public Token {
        if (sequence <= 0) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: > 0)");
        }
        if (text == null) {
            throw new IllegalArgumentException("text is required");
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.TOKEN;
    }
}
