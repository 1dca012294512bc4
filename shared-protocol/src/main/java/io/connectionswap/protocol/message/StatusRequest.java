package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/** A client asks the director for the workers it knows and the models they serve (first frame of a stream). */
public record StatusRequest(String requestedBy) implements Message {

    @Override
    public FrameType frameType() {
        return FrameType.STATUS_REQUEST;
    }
}
