package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/**
 * The director is shutting down: the client should open its next streams at another director replica, and resume
 * its generations there when the director ends them. Sent on the client's control (heartbeat) stream.
 */
public record GoAway(String directorId, String reason) implements Message {

    public GoAway {
        Message.require(directorId, "directorId");
    }

    @Override
    public FrameType frameType() {
        return FrameType.GOAWAY;
    }
}
