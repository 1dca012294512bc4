package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameType;

/** The sender ends the stream because of {@code code}; {@code message} says what was wrong. */
public record StreamError(ErrorCode code, String message) implements Message {

    public StreamError {
        if (code == null) {
            throw new IllegalArgumentException("code is required");
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.ERROR;
    }
}
