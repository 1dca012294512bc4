package io.connectionswap.protocol.frame;

/**
 * The largest payload a decoder accepts, by kind of frame: requests (GENERATE, ASSIGNMENT) carry whole prompts and
 * may be large; every other frame is small.
 *
 * @param maxFrameBytes   largest payload of a token or control frame
 * @param maxRequestBytes largest payload of a GENERATE or ASSIGNMENT frame
 */
public record FrameLimits(int maxFrameBytes, int maxRequestBytes) {

    /**
     * What an ASSIGNMENT adds around the client's request (the director's stream and connection names): the
     * ASSIGNMENT limit is the request limit plus this, so a request the director accepted always fits the worker
     * with the same setting.
     */
    public static final int ASSIGNMENT_ENVELOPE_BYTES = 4096;

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

    /**
     * These limits for the frames of a peer that sends no request (a worker, to the director): a GENERATE or
     * ASSIGNMENT frame is held to the limit of every other frame, so that one never waits to be dropped is refused at
     * its header instead of being held up to the request limit.
     */
    public FrameLimits withoutRequests() {
        return maxRequestBytes == maxFrameBytes ? this : new FrameLimits(maxFrameBytes, maxFrameBytes);
    }

    public int limitFor(FrameType type) {
        if (type == FrameType.ASSIGNMENT) {
            return (int) Math.min(Integer.MAX_VALUE, (long) maxRequestBytes + ASSIGNMENT_ENVELOPE_BYTES);
        }
        if (type == FrameType.TAGGED) {
            return maxFrameBytes + TaggedFrames.TAG_BYTES + Frames.HEADER_BYTES; // a whole frame and its stream id
        }
        return type.carriesRequest() ? maxRequestBytes : maxFrameBytes;
    }
}
