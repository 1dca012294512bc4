package io.connectionswap.bench;

import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.message.TokenStream;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.QuicCodecs;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.protocol.tls.QuicTls;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The bench client's QUIC side, built on shared-protocol (codec, TLS, settings): one event loop group, connections
 * with the client certificate (to the director) or the director's certificate (to dial a worker directly, which
 * only accepts CN=director). Each connection has its own connected UDP socket, as with {@link QuicConnector};
 * unlike it, the socket's receive buffer is set ({@code rcvbuf} bytes, 0 = the OS default) so that the load
 * generator does not drop datagrams when its threads are descheduled on a busy machine.
 */
final class QuicClients implements AutoCloseable {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final EventLoopGroup group;
    private final QuicSslContext asClient;
    private final QuicSslContext asDirector;
    private final int rcvbuf;
    private final boolean clientTokenStream;

    QuicClients(Path certs, int threads, int rcvbuf) {
        this(certs, threads, rcvbuf, false);
    }

    /**
     * {@code clientTokenStream}: generations on a director connection with a control stream ask for the client token
     * stream ({@link ClientTokens}).
     */
    QuicClients(Path certs, int threads, int rcvbuf, boolean clientTokenStream) {
        this.clientTokenStream = clientTokenStream;
        this.group = QuicEventLoops.create("bench-client", threads);
        this.asClient = QuicTls.client(TlsIdentity.of(certs, "client"));
        this.asDirector = QuicTls.client(TlsIdentity.of(certs, "director"));
        this.rcvbuf = rcvbuf;
    }

    private Future<QuicChannel> connect(QuicSslContext ssl, int port) {
        InetSocketAddress remote = new InetSocketAddress("127.0.0.1", port);
        Promise<QuicChannel> result = group.next().newPromise();
        Bootstrap bootstrap = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(QuicCodecs.client(QuicSettings.DEFAULTS, ssl, "127.0.0.1", port));
        if (rcvbuf > 0) {
            bootstrap.option(ChannelOption.SO_RCVBUF, rcvbuf);
        }
        bootstrap.connect(remote).addListener(bound -> {
            if (!bound.isSuccess()) {
                result.tryFailure(bound.cause());
                return;
            }
            Channel datagram = ((ChannelFuture) bound).channel();
            QuicChannel.newBootstrap(datagram).remoteAddress(remote)
                    .handler(new ChannelInboundHandlerAdapter())
                    .streamHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
                            ctx.close(); // the bench client serves no stream opened by its peer
                        }

                        @Override
                        public boolean isSharable() {
                            return true;
                        }
                    })
                    .connect().addListener(connected -> {
                        if (connected.isSuccess()) {
                            QuicChannel quic = (QuicChannel) connected.getNow();
                            quic.closeFuture().addListener(closed -> datagram.close());
                            if (!result.trySuccess(quic)) {
                                quic.close();
                            }
                        } else {
                            datagram.close();
                            result.tryFailure(connected.cause());
                        }
                    });
        });
        return result;
    }

    /** A connection to the director, as a client. */
    Conn director(int port, boolean keepAlive) throws Exception {
        return Conn.open(connect(asClient, port), keepAlive, keepAlive && clientTokenStream);
    }

    /** Starts a connection to the director without waiting (the reconnect baseline). */
    Future<QuicChannel> directorAsync(int port) {
        return connect(asClient, port);
    }

    /** A connection straight to a worker, presenting the director's certificate. */
    Conn worker(int port) throws Exception {
        return Conn.open(connect(asDirector, port), true, false);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** One QUIC connection; with keep-alive, a heartbeat stream (500 ms) keeps it open while no stream is. */
    static final class Conn implements AutoCloseable {
        final QuicChannel channel;
        /** Where this connection's generations get their frames when they ask for the client token stream; or null. */
        final ClientTokens tokens;

        Conn(QuicChannel channel) {
            this(channel, null);
        }

        private Conn(QuicChannel channel, ClientTokens tokens) {
            this.channel = channel;
            this.tokens = tokens;
        }

        static Conn open(Future<QuicChannel> connecting, boolean keepAlive, boolean tokenStream) throws Exception {
            QuicChannel channel = connecting.get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            ClientTokens tokens = tokenStream ? new ClientTokens() : null;
            if (keepAlive) {
                channel.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel stream) {
                        StreamPipelines.messages(stream, io.connectionswap.protocol.frame.FrameLimits.DEFAULTS, Heartbeats.sender(
                                Duration.ofMillis(500), Duration.ofSeconds(5), () -> {
                                    System.err.println("[bench] no heartbeat echo from " + channel.remoteAddress()
                                            + " for 5 s; closing the connection");
                                    channel.close();
                                }));
                        if (tokens != null) {
                            stream.pipeline().addAfter(stream.pipeline().context(FrameDecoder.class).name(),
                                    "client-tokens", tokens.reader());
                        }
                        stream.pipeline().addLast(new ChannelInboundHandlerAdapter());
                    }
                }).get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            if (keepAlive && tokens != null) {
                // the client token stream, beside the heartbeat stream, as the client library opens it
                QuicStreamChannel ownTokenStream = channel.createStream(QuicStreamType.BIDIRECTIONAL,
                        new ChannelInitializer<QuicStreamChannel>() {
                            @Override
                            protected void initChannel(QuicStreamChannel stream) {
                                StreamPipelines.messages(stream, io.connectionswap.protocol.frame.FrameLimits.DEFAULTS,
                                        new ChannelInboundHandlerAdapter());
                                stream.pipeline().addAfter(stream.pipeline().context(FrameDecoder.class).name(),
                                        "client-tokens", tokens.reader());
                            }
                        }).get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                ownTokenStream.writeAndFlush(new TokenStream(TokenStream.VERSION));
            }
            return new Conn(channel, tokens);
        }

        boolean active() {
            return channel.isActive();
        }

        @Override
        public void close() {
            channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }
}
