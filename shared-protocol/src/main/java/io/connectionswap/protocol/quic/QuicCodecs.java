package io.connectionswap.protocol.quic;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicTokenHandler;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Builds QUIC server and client codecs with every limit of {@link QuicSettings} applied. */
public final class QuicCodecs {

    private QuicCodecs() {
    }

    public static ChannelHandler server(QuicSettings settings, QuicSslContext ssl, ChannelHandler connectionHandler,
                                        ChannelHandler streamHandler) {
        return server(settings, ssl, connectionHandler, streamHandler, null);
    }

    /**
     * A server codec that validates client addresses with {@code tokenHandler} (a Retry with a token before a new
     * connection is accepted); null: no address validation.
     */
    public static ChannelHandler server(QuicSettings settings, QuicSslContext ssl, ChannelHandler connectionHandler,
                                        ChannelHandler streamHandler, QuicTokenHandler tokenHandler) {
        return server(settings, () -> ssl, connectionHandler, streamHandler, tokenHandler);
    }

    /**
     * A server codec whose every new connection takes the TLS context {@code ssl} supplies then: certificates rotate
     * ({@code TlsContexts.reload}) without a new codec, and open connections keep the context they started with.
     */
    public static ChannelHandler server(QuicSettings settings, Supplier<QuicSslContext> ssl,
                                        ChannelHandler connectionHandler, ChannelHandler streamHandler,
                                        QuicTokenHandler tokenHandler) {
        return server(settings, ssl, connectionHandler, streamHandler, tokenHandler,
                SegmentedDatagramPacketAllocator.NONE);
    }

    /**
     * As {@link #server(QuicSettings, Supplier, ChannelHandler, ChannelHandler, QuicTokenHandler)}, sending each
     * connection's packets as GSO datagrams made by {@code segments} ({@link QuicTransport#segments(boolean)}: only
     * on an epoll socket).
     */
    public static ChannelHandler server(QuicSettings settings, Supplier<QuicSslContext> ssl,
                                        ChannelHandler connectionHandler, ChannelHandler streamHandler,
                                        QuicTokenHandler tokenHandler, SegmentedDatagramPacketAllocator segments) {
        return limits(new QuicServerCodecBuilder(), settings)
                .option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, segments)
                .tokenHandler(tokenHandler)
                .sslEngineProvider(channel -> ssl.get().newEngine(channel.alloc()))
                .handler(connectionHandler)
                .streamOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .streamHandler(streamHandler)
                .build();
    }

    /**
     * A client codec; its SSL engine is created with the peer's host and port so hostname verification works.
     *
     * @param serverName the name the server's certificate must carry (usually the host dialled)
     */
    public static ChannelHandler client(QuicSettings settings, QuicSslContext ssl, String serverName, int port) {
        return client(settings, () -> ssl, serverName, port);
    }

    /** Like {@link #client(QuicSettings, QuicSslContext, String, int)} with the TLS context current at connect. */
    public static ChannelHandler client(QuicSettings settings, Supplier<QuicSslContext> ssl, String serverName,
                                        int port) {
        return limits(new QuicClientCodecBuilder(), settings)
                .sslEngineProvider(channel -> ssl.get().newEngine(channel.alloc(), serverName, port))
                .build();
    }

    private static <B extends QuicCodecBuilder<B>> B limits(B builder, QuicSettings settings) {
        return builder
                .maxIdleTimeout(settings.maxIdleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                // peers send no datagram larger than a batched read's slot (QuicTransport)
                .maxRecvUdpPayloadSize(QuicTransport.MAX_DATAGRAM_BYTES)
                .initialMaxData(settings.maxData())
                .initialMaxStreamDataBidirectionalLocal(settings.maxStreamData())
                .initialMaxStreamDataBidirectionalRemote(settings.maxStreamData())
                .initialMaxStreamDataUnidirectional(settings.maxStreamData())
                .initialMaxStreamsBidirectional(settings.maxBidirectionalStreams())
                .initialMaxStreamsUnidirectional(16);
    }
}
