package io.connectionswap.swapclient;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.GoAway;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicCodecs;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.protocol.tls.ClientCertificates;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * A director as far as a client's connection goes: accepts connections, echoes heartbeats on every stream, sends
 * GOAWAY on a connection's control stream when told, and closes connections when told. Generation streams get
 * whatever {@code onGeneration} does with them (nothing by default).
 */
final class FakeDirector implements AutoCloseable {

    private final EventLoopGroup group = QuicEventLoops.create("fake-director", 1);
    private final QuicServerEndpoint endpoint;
    /** Open connections. */
    final Set<QuicChannel> connections = ConcurrentHashMap.newKeySet();
    /** Every connection ever accepted. */
    final List<QuicChannel> accepted = new CopyOnWriteArrayList<>();
    /** The control stream (the client's first stream) of each connection. */
    final Map<QuicChannel, QuicStreamChannel> control = new ConcurrentHashMap<>();
    /** What came on generation streams (not the control stream), per stream. */
    final List<Message> received = new CopyOnWriteArrayList<>();
    volatile BiConsumer<QuicStreamChannel, Message> onMessage = (stream, message) -> { };
    /** Says GOAWAY on each control stream as soon as it opens (a director draining: every new connection gets it). */
    volatile boolean draining;
    /** Heartbeats received, on any stream of any connection. */
    final AtomicLong heartbeats = new AtomicLong();
    /**
     * Connections whose heartbeats get no echo any more (a director gone silent on them: each is found lost by the
     * client's heartbeat timeout), while the director answers on the others.
     */
    final Set<QuicChannel> silent = ConcurrentHashMap.newKeySet();
    /**
     * How many of the next connections are closed at once, 50 ms after they open (a director at its connection limit,
     * or one restarting behind the address): each is a failed attempt for the client, which retries after its backoff.
     */
    final AtomicInteger closeAtOnce = new AtomicInteger();

    FakeDirector(Path pki) {
        this(pki, QuicSettings.DEFAULTS.maxBidirectionalStreams());
    }

    /** A director that lets each connection open {@code maxStreams} bidirectional streams at once. */
    FakeDirector(Path pki, long maxStreams) {
        QuicSettings defaults = QuicSettings.DEFAULTS;
        QuicSettings settings = new QuicSettings(defaults.maxIdleTimeout(), defaults.maxData(),
                defaults.maxStreamData(), maxStreams, defaults.frameLimits());
        TlsContexts tls = TlsContexts.server("director", TlsIdentity.of(pki, "director").material(),
                ClientCertificates.anyOfTheCa(false));
        endpoint = QuicServerEndpoint.bind("director", "test", group, HostPort.parse("test", "127.0.0.1:0"),
                QuicCodecs.server(settings, tls.serverContext(), new Connections(), new Streams(),
                        null));
    }

    String address() {
        return "127.0.0.1:" + endpoint.localAddress().getPort();
    }

    void goAway() {
        group.next().submit(() -> control.values().forEach(stream -> stream.writeAndFlush(
                new GoAway("fake", "drain")))).syncUninterruptibly();
    }

    /** Resets every connection's control stream, both ways (RESET_STREAM and STOP_SENDING). */
    void resetControlStreams(int code) {
        group.next().submit(() -> control.values().forEach(stream -> stream.shutdown(code))).syncUninterruptibly();
    }

    void closeConnections() {
        connections.forEach(QuicChannel::close);
    }

    /** Closes every connection with SHUTTING_DOWN, as a director does at the end of its drain. */
    void closeConnectionsShuttingDown() {
        connections.forEach(connection -> connection.close(true, ErrorCode.SHUTTING_DOWN.code(),
                Unpooled.copiedBuffer("director fake is shutting down", StandardCharsets.UTF_8)));
    }

    @Override
    public void close() {
        closeConnections();
        endpoint.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @ChannelHandler.Sharable
    private final class Connections extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            QuicChannel connection = (QuicChannel) ctx.channel();
            connections.add(connection);
            accepted.add(connection);
            if (closeAtOnce.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
                connection.eventLoop().schedule(() -> connection.close(), 50, TimeUnit.MILLISECONDS);
            }
            connection.closeFuture().addListener(closed -> {
                connections.remove(connection);
                control.remove(connection);
            });
            ctx.fireChannelActive();
        }
    }

    private final class Streams extends ChannelInitializer<QuicStreamChannel> {
        @Override
        protected void initChannel(QuicStreamChannel stream) {
            if (stream.streamId() == 0) {
                control.put(stream.parent(), stream);
            }
            StreamPipelines.messages(stream, QuicSettings.DEFAULTS.frameLimits(), new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof Heartbeat) {
                        heartbeats.incrementAndGet();
                        if (silent.contains(stream.parent())) {
                            return; // no echo
                        }
                    }
                    ctx.fireChannelRead(msg);
                }
            });
            stream.pipeline().addLast(Heartbeats.responder());
            if (draining && stream.streamId() == 0) {
                stream.eventLoop().execute(() -> stream.writeAndFlush(new GoAway("fake", "shutting down")));
            }
            stream.pipeline().addLast(new SimpleChannelInboundHandler<Message>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, Message message) {
                    if (stream.streamId() != 0) {
                        received.add(message);
                        onMessage.accept(stream, message);
                    }
                }
            });
        }
    }
}
