package io.connectionswap.protocol.frame;

/**
 * The largest payload a decoder accepts, by kind of frame: requests (GENERATE, ASSIGNMENT) carry whole prompts and
 * may be large; every other frame is small.
 *
 * @param maxFrameBytes   largest payload of a token or control frame
 * @param maxRequestBytes largest payload of a GENERATE or ASSIGNMENT frame
 */
public record FrameLimits(int maxFrameBytes, int maxRequestBytes) {

    public static final FrameLimits DEFAULTS = new FrameLimits(Frames.DEFAULT_MAX_PAYLOAD_BYTES,
            Frames.DEFAULT_MAX_REQUEST_BYTES);

    public FrameLimits {
        if (maxFrameBytes <= 0) {
            throw new IllegalArgumentException("maxFrameBytes: " + maxFrameBytes + " (expected: > 0)");
        }
        if (maxRequestBytes < maxFrameBytes) {
            throw new IllegalArgumentException("maxRequestBytes: " + maxRequestBytes + " (expected: >= maxFrameBytes "
                    + maxFrameBytes + ")");
        }
    }

    /** Every kind of frame has the same limit (tests of the bad-input paths). */
    public static FrameLimits uniform(int maxBytes) {
        return new FrameLimits(maxBytes, maxBytes);
    }

    public int limitFor(FrameType type) {
        return type.carriesRequest() ? maxRequestBytes : maxFrameBytes;
    }
}
