package io.connectionswap.protocol.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClosedChannelException;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.util.function.Supplier;

/**
 * Opens client QUIC connections, each on its own UDP socket connected to the peer. A connected socket receives
 * ICMP "port unreachable", so a peer process that died is noticed at the next packet instead of after an idle
 * timeout; the QUIC connection is then closed at once.
 */
public final class QuicConnector {

    private final EventLoopGroup group;
    private final QuicSettings settings;
    private final Supplier<QuicSslContext> ssl;
    private final ChannelHandler[] socketHandlers;
    private final boolean gso;

    public QuicConnector(EventLoopGroup group, QuicSettings settings, QuicSslContext ssl) {
        this(group, settings, () -> ssl);
    }

    /** Each connection takes the TLS context {@code ssl} supplies when it is opened (certificates may rotate). */
    public QuicConnector(EventLoopGroup group, QuicSettings settings, Supplier<QuicSslContext> ssl) {
        this(group, settings, ssl, false);
    }

    /**
     * As {@link #QuicConnector(EventLoopGroup, QuicSettings, Supplier)}; {@code gso}: on an epoll group, a connection's
     * equally sized packets leave as one GSO datagram ({@link QuicTransport}); {@code socketHandlers}: sharable
     * handlers put before the QUIC codec on every socket it opens (the director's {@link DatagramCounter} and {@link
     * SendHeldAfterRead}).
     */
    public QuicConnector(EventLoopGroup group, QuicSettings settings, Supplier<QuicSslContext> ssl, boolean gso,
                         ChannelHandler... socketHandlers) {
        this.group = group;
        this.settings = settings;
        this.ssl = ssl;
        this.socketHandlers = socketHandlers.clone();
        this.gso = gso;
    }

    /**
     * Connects to {@code remote}, verifying that the server's certificate carries {@code serverName}.
     *
     * @param connectionHandler handler of the QUIC connection channel (may be null)
     * @param streamHandler     handler of streams the server opens towards us (may be null)
     * @return completes with the connected, handshaken channel or fails with the handshake or network cause
     */
    public Future<QuicChannel> connect(InetSocketAddress remote, String serverName, ChannelHandler connectionHandler,
                                       ChannelHandler streamHandler) {
        Promise<QuicChannel> result = group.next().newPromise();
        QuicTransport transport = QuicTransport.of(group);
        ChannelHandler codec = QuicCodecs.client(settings, ssl, serverName, remote.getPort());
        Bootstrap bootstrap = transport.datagramBootstrap(group);
        if (!remote.isUnresolved()) {
            // nothing to look up: no resolver for the loop, whose removal at the loop's end would go through Netty's
            // GlobalEventExecutor, a thread that then lingers a second or two after the caller's loops have ended
            bootstrap.disableResolver();
        }
        bootstrap
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(socketHandlers);
                        channel.pipeline().addLast(codec, new UnreachablePeerHandler(remote));
                    }
                })
                .connect(remote)
                .addListener(bound -> {
                    if (!bound.isSuccess()) {
                        result.tryFailure(bound.cause());
                        return;
                    }
                    Channel datagram = ((io.netty.channel.ChannelFuture) bound).channel();
                    QuicChannel.newBootstrap(datagram)
                            .option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, transport.segments(gso))
                            .remoteAddress(remote)
                            .handler(connectionHandler != null ? connectionHandler : NoOpHandler.INSTANCE)
                            .streamHandler(streamHandler != null ? streamHandler : RejectStreams.INSTANCE)
                            .connect().addListener(connected -> {
                        if (connected.isSuccess()) {
                            QuicChannel quic = (QuicChannel) connected.getNow();
                            quic.closeFuture().addListener(closed -> datagram.close());
                            if (!result.trySuccess(quic)) {
                                quic.close();
                            }
                        } else {
                            UnreachablePeerHandler unreachable = datagram.pipeline().get(UnreachablePeerHandler.class);
                            datagram.close();
                            result.tryFailure(unreachable != null && unreachable.cause != null
                                    ? unreachable.cause : connected.cause());
                        }
                    });
                });
        return result;
    }

    @ChannelHandler.Sharable
    private static final class NoOpHandler extends ChannelInboundHandlerAdapter {
        static final NoOpHandler INSTANCE = new NoOpHandler();
    }

    /** This side does not serve streams opened by the server: close them. */
    @ChannelHandler.Sharable
    private static final class RejectStreams extends ChannelInboundHandlerAdapter {
        static final RejectStreams INSTANCE = new RejectStreams();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            QuicStreams.abort(ctx.channel(), io.connectionswap.protocol.frame.ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    /** Closes the socket, and with it the QUIC connection, when the kernel reports the peer's port closed. */
    private static final class UnreachablePeerHandler extends ChannelInboundHandlerAdapter {
        private final InetSocketAddress remote;
        private volatile java.net.ConnectException cause;

        UnreachablePeerHandler(InetSocketAddress remote) {
            this.remote = remote;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof PortUnreachableException) {
                this.cause = new java.net.ConnectException("udp/" + remote.getAddress().getHostAddress() + ":"
                        + remote.getPort() + " is unreachable (ICMP port unreachable: nothing listens there)");
                ctx.channel().close();
                return;
            }
            ctx.fireExceptionCaught(cause);
        }
    }

    /**
     * What a failed {@link #connect} means when Netty does not say: a bare {@code QuicClosedChannelException} (no
     * cause) is a handshake that never happened, whether the port refused the datagram (ICMP) or nothing answered
     * until the handshake timed out. {@code " (no QUIC handshake: ...)"} naming {@code peerRole} for that, else empty.
     */
    public static String explainFailure(Throwable cause, String peerRole) {
        if (cause instanceof QuicClosedChannelException && cause.getCause() == null) {
            return " (no QUIC handshake: nothing answered at that address, or it is not the " + peerRole
                    + "'s QUIC port)";
        }
        return "";
    }
}
