package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/** Application-level liveness probe (QUIC has no PING API in Netty); the receiver echoes it unchanged. */
public record Heartbeat(long sentNanos) implements Message {

    @Override
    public FrameType frameType() {
        return FrameType.HEARTBEAT;
    }
}
