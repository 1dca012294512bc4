package io.connectionswap.protocol.frame;

/**
 * Room for the frames a {@link FrameDecoder} holds begun and not complete yet. A stream's data is read as it arrives,
 * so QUIC's flow control does not bound what a peer's incomplete frames make us hold (credit returns as we read): a
 * budget does. The decoder reserves a frame's whole length (its header tells it) when the frame cannot be decoded at
 * once, and releases it exactly once: when the frame completes, or the stream's input is discarded or ends in any way.
 */
public interface FrameBudget {

    /** No bound: what a peer that is trusted, or whose frames are small, may hold. */
    FrameBudget UNLIMITED = new FrameBudget() {
        @Override
        public void reserve(int frameBytes) {
        }

        @Override
        public void release(int frameBytes) {
        }
    };

    /**
     * Reserves {@code frameBytes} for a frame begun; refuses it with a {@link ProtocolException} (OVERLOADED, saying
     * which budget) when they do not fit. Nothing is reserved then.
     */
    void reserve(int frameBytes);

    /** Gives back {@code frameBytes} reserved before. */
    void release(int frameBytes);
}
