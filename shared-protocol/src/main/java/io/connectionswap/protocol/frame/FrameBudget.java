package io.connectionswap.protocol.frame;

/**
 * Room for the frames a {@link FrameDecoder} holds begun and not complete yet. A stream's data is read as it arrives,
 * so QUIC's flow control does not bound what a peer's incomplete frames make us hold (credit returns as we read): a
 * budget does. The decoder reserves the bytes of a frame it holds begun as they arrive, and releases them exactly
 * once: when the frame completes, or the stream's input is discarded or ends in any way.
 */
public interface FrameBudget {

    /** No bound: what a peer that is trusted, or whose frames are small, may hold. */
    FrameBudget UNLIMITED = new FrameBudget() {
        @Override
        public void reserve(int bytes) {
        }

        @Override
        public void release(int bytes) {
        }
    };

    /**
     * Reserves {@code bytes} more of a frame begun; refuses them with a {@link ProtocolException} (OVERLOADED, saying
     * which budget) when they do not fit. Nothing more is reserved then.
     */
    void reserve(int bytes);

    /** Gives back {@code bytes} reserved before. */
    void release(int bytes);
}
