package io.connectionswap.director.config;

import io.connectionswap.protocol.frame.Frames;
import io.netty.util.internal.PlatformDependent;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * What the director lets one peer cost it. Each limit has a setting, a default and a tag value of
 * {@code connection_swap_limit_hits_total{limit}}.
 *
 * @param maxStreamsPerConnection streams a client connection may have open at once: the QUIC server's initial max
 *                                bidirectional streams ({@code CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION})
 * @param maxClientConnections    client connections at once; one more is closed with OVERLOADED
 *                                ({@code CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS})
 * @param maxClientConnectionsPerAddress client connections at once from one source address (an IPv6 one: from its
 *                                /64); one more is closed with OVERLOADED. Unset: a quarter of
 *                                {@code maxClientConnections}
 *                                ({@code CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS_PER_ADDRESS})
 * @param firstFrameTimeout       a new stream must deliver its first complete frame within this, else it is reset with
 *                                STREAM_TIMEOUT ({@code CONNECTION_SWAP_FIRST_FRAME_TIMEOUT})
 * @param maxTokens               largest {@code maxTokens} a request may ask for; above: BAD_REQUEST
 *                                ({@code CONNECTION_SWAP_MAX_TOKENS_LIMIT})
 * @param maxSessionDuration      longest one relayed stream (one leg of a generation) may live; then it ends with
 *                                STREAM_TIMEOUT ({@code CONNECTION_SWAP_MAX_SESSION_DURATION})
 * @param maxRequestBytes         largest GENERATE frame; above: REQUEST_TOO_LARGE
 *                                ({@code CONNECTION_SWAP_MAX_REQUEST_BYTES})
 * @param slowClientTimeout       a client that reads nothing of its stream for this long is cut off: the stream is
 *                                reset with TOO_SLOW ({@code CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT})
 * @param addressValidation       QUIC address validation: a new connection first gets a Retry with a token bound to
 *                                its address ({@code CONNECTION_SWAP_ADDRESS_VALIDATION})
 * @param maxPendingRequestBytes  bytes the director holds, in all, in frames clients began and have not completed (a
 *                                large GENERATE arriving); a frame over it ends its stream with OVERLOADED. Unset: a
 *                                quarter of the direct-memory cap (those bytes sit in Netty's direct buffers), at
 *                                least one full-size request ({@code CONNECTION_SWAP_MAX_PENDING_REQUEST_BYTES}). One
 *                                client connection holds at most {@link #maxPendingRequestBytesPerConnection}.
 */
@ConfigurationProperties("connection-swap.limits")
public record LimitProperties(
        @DefaultValue("1000") int maxStreamsPerConnection,
        @DefaultValue("1000") int maxClientConnections,
        Integer maxClientConnectionsPerAddress,
        @DefaultValue("10s") Duration firstFrameTimeout,
        @DefaultValue("65536") int maxTokens,
        @DefaultValue("1h") Duration maxSessionDuration,
        @DefaultValue("4MB") DataSize maxRequestBytes,
        @DefaultValue("30s") Duration slowClientTimeout,
        @DefaultValue("true") boolean addressValidation,
        DataSize maxPendingRequestBytes) {

    public static final LimitProperties DEFAULTS = new LimitProperties(1000, 1000, 250, Duration.ofSeconds(10), 65536,
            Duration.ofHours(1), DataSize.ofMegabytes(4), Duration.ofSeconds(30), true, null);

    public LimitProperties {
        atLeastOne("CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION", maxStreamsPerConnection);
        atLeastOne("CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS", maxClientConnections);
        if (maxClientConnectionsPerAddress == null) {
            // one address may be many clients (NAT, a gateway's host with several processes): a share, not one
            maxClientConnectionsPerAddress = Math.max(1, maxClientConnections / 4);
        }
        atLeastOne("CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS_PER_ADDRESS", maxClientConnectionsPerAddress);
        atLeastOne("CONNECTION_SWAP_MAX_TOKENS_LIMIT", maxTokens);
        positive("CONNECTION_SWAP_FIRST_FRAME_TIMEOUT", firstFrameTimeout);
        positive("CONNECTION_SWAP_MAX_SESSION_DURATION", maxSessionDuration);
        positive("CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT", slowClientTimeout);
        if (maxRequestBytes == null || maxRequestBytes.toBytes() < Frames.DEFAULT_MAX_PAYLOAD_BYTES
                || maxRequestBytes.toBytes() > Integer.MAX_VALUE - Frames.HEADER_BYTES) {
            throw new IllegalArgumentException("CONNECTION_SWAP_MAX_REQUEST_BYTES=" + maxRequestBytes + " (expected: "
                    + Frames.DEFAULT_MAX_PAYLOAD_BYTES + " bytes to 2 GiB, e.g. 4MB)");
        }
        long oneRequest = maxRequestBytes.toBytes() + Frames.HEADER_BYTES;
        if (maxPendingRequestBytes == null) {
            // those bytes sit in direct buffers: a quarter of their cap leaves the rest to relaying and QUIC
            maxPendingRequestBytes = DataSize.ofBytes(Math.max(oneRequest, PlatformDependent.maxDirectMemory() / 4));
        }
        if (maxPendingRequestBytes.toBytes() < oneRequest) {
            throw new IllegalArgumentException("CONNECTION_SWAP_MAX_PENDING_REQUEST_BYTES=" + maxPendingRequestBytes
                    + " (expected: >= one full-size request, CONNECTION_SWAP_MAX_REQUEST_BYTES + "
                    + Frames.HEADER_BYTES + " = " + oneRequest + " bytes)");
        }
    }

    /**
     * Bytes one client connection may hold in frames begun and not completed: two full-size requests, so that one
     * arriving slowly leaves room for another (never more than {@link #maxPendingRequestBytes} anyway).
     */
    public long maxPendingRequestBytesPerConnection() {
        return 2 * (maxRequestBytes.toBytes() + Frames.HEADER_BYTES);
    }

    public int maxRequestBytesInt() {
        return (int) maxRequestBytes.toBytes();
    }

    private static void atLeastOne(String setting, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(setting + "=" + value + " (expected: >= 1)");
        }
    }

    private static void positive(String setting, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(setting + "=" + value + " (expected: > 0)");
        }
    }
}
