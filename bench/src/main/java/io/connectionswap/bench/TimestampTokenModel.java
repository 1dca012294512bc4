package io.connectionswap.bench;

import io.connectionswap.protocol.model.TokenModel;

/**
 * The bench's token model for in-JVM workers: the text of a token is {@code t<System.nanoTime() at emit>}, so a
 * client in the same JVM computes each token's latency with one clock. {@link #ready} drives the worker's
 * Actuator health (its "model" indicator): false turns the worker DOWN for the director's health poll.
 */
final class TimestampTokenModel implements TokenModel {

    private volatile boolean ready = true;

    @Override
    public String name() {
        return "bench-timestamp";
    }

    @Override
    public String token(String prompt, int sequence) {
        return "t" + System.nanoTime();
    }

    @Override
    public boolean isReady() {
        return ready;
    }

    void ready(boolean value) {
        ready = value;
    }

    /** The emit timestamp in a token frame's payload ({@code u32 seq | 't' digits}), or -1. */
    static long emittedNanos(io.netty.buffer.ByteBuf frame) {
        int index = frame.readerIndex() + io.connectionswap.protocol.frame.Frames.HEADER_BYTES + Integer.BYTES;
        int end = frame.writerIndex();
        if (index >= end || frame.getByte(index) != 't') {
            return -1;
        }
        long value = 0;
        int digits = 0;
        for (index++; index < end; index++) {
            byte b = frame.getByte(index);
            if (b < '0' || b > '9') {
                return -1;
            }
            value = value * 10 + (b - '0');
            digits++;
        }
        return digits == 0 ? -1 : value;
    }
}
