package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.frame.FrameLimits;
import java.time.Duration;

/**
 * QUIC transport limits. Netty's QUIC codec defaults every flow-control and stream limit to 0 (no stream could
 * open) and the idle timeout to infinity, so every value is set explicitly.
 *
 * @param maxIdleTimeout          a connection with no packet for this long is closed
 * @param maxData                 connection-level flow-control window, bytes
 * @param maxStreamData           per-stream flow-control window, bytes
 * @param maxBidirectionalStreams concurrent bidirectional streams a peer may open
 * @param frameLimits             largest frame payloads accepted (requests, and everything else)
 */
public record QuicSettings(Duration maxIdleTimeout, long maxData, long maxStreamData, long maxBidirectionalStreams,
                           FrameLimits frameLimits) {

    /**
     * UDP socket buffers asked of the kernel. The default (about 200 KB) holds only a few hundred token-sized
     * datagrams, so a burst overflows it and every drop costs a QUIC loss-recovery delay. The kernel caps the value at
     * {@code net.core.rmem_max} / {@code wmem_max}: raise those on hosts that carry many streams.
     */
    public static final int SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

    public static final QuicSettings DEFAULTS = new QuicSettings(Duration.ofSeconds(10), 64L * 1024 * 1024,
            1024L * 1024, 100_000, FrameLimits.DEFAULTS);

    public QuicSettings {
        if (maxIdleTimeout == null || maxIdleTimeout.isNegative() || maxIdleTimeout.isZero()) {
            throw new IllegalArgumentException("maxIdleTimeout: " + maxIdleTimeout + " (expected: > 0)");
        }
        if (maxData <= 0 || maxStreamData <= 0 || maxBidirectionalStreams <= 0 || frameLimits == null) {
            throw new IllegalArgumentException("QUIC limits must be > 0: maxData=" + maxData + " maxStreamData="
                    + maxStreamData + " maxBidirectionalStreams=" + maxBidirectionalStreams
                    + " frameLimits=" + frameLimits);
        }
    }

    /** These settings with another request limit ({@code CONNECTION_SWAP_MAX_REQUEST_BYTES}). */
    public QuicSettings withMaxRequestBytes(int maxRequestBytes) {
        return new QuicSettings(maxIdleTimeout, maxData, maxStreamData, maxBidirectionalStreams,
                new FrameLimits(frameLimits.maxFrameBytes(), maxRequestBytes));
    }

    /** These settings with another limit on the streams a peer may have open at once. */
    public QuicSettings withMaxBidirectionalStreams(long streams) {
        return new QuicSettings(maxIdleTimeout, maxData, maxStreamData, streams, frameLimits);
    }
}
