package io.connectionswap.protocol.quic.testing;

import io.connectionswap.protocol.quic.DatagramCounter;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicCodecs;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.tls.ClientCertificates;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A stand-in QUIC server on 127.0.0.1 (a free port) for the tests that need a real peer over loopback: it presents
 * the certificate of one role of a development PKI ({@code DevelopmentPki.create}), asks its clients for a
 * certificate of the same CA, and takes the limits of a {@link QuicSettings}; the test gives what its connections
 * and streams do. Published in shared-protocol's test jar (this package only) for the other modules' tests.
 *
 * <pre>{@code
 * QuicServerEndpoint worker = StandInQuicServer.worker(pki).limits(settings).streams(handler).bind(loop);
 * }</pre>
 */
public final class StandInQuicServer {

    private final Path pki;
    private final String role;
    private final boolean clientCertificateRequired;
    private QuicSettings limits = QuicSettings.DEFAULTS;
    private ChannelHandler connections = nothing();
    private ChannelHandler streams = nothing();
    private SegmentedDatagramPacketAllocator segments = SegmentedDatagramPacketAllocator.NONE;
    private DatagramCounter datagrams;
    private int port;

    private StandInQuicServer(Path pki, String role, boolean clientCertificateRequired) {
        this.pki = Objects.requireNonNull(pki, "pki");
        this.role = Objects.requireNonNull(role, "role");
        this.clientCertificateRequired = clientCertificateRequired;
    }

    /** A worker as the director dials it: the worker's certificate, a client certificate of the CA required. */
    public static StandInQuicServer worker(Path pki) {
        return presenting(pki, "worker", true);
    }

    /** A server presenting {@code role}'s certificate, a client certificate of the CA required or optional. */
    public static StandInQuicServer presenting(Path pki, String role, boolean clientCertificateRequired) {
        return new StandInQuicServer(pki, role, clientCertificateRequired);
    }

    /** The idle timeout, flow-control and stream limits the server grants (default {@link QuicSettings#DEFAULTS}). */
    public StandInQuicServer limits(QuicSettings limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        return this;
    }

    /** The handler of each accepted connection (default: one that does nothing). */
    public StandInQuicServer connections(ChannelHandler handler) {
        this.connections = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /** Each accepted connection goes into {@code accepted} (a collection safe to add to from the server's loop). */
    public StandInQuicServer connectionsInto(Collection<QuicChannel> accepted) {
        Objects.requireNonNull(accepted, "accepted");
        return connections(new ChannelInitializer<QuicChannel>() {
            @Override
            protected void initChannel(QuicChannel connection) {
                accepted.add(connection);
            }
        });
    }

    /** The handler of each stream a client opens (default: one that does nothing). */
    public StandInQuicServer streams(ChannelHandler handler) {
        this.streams = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /** Packets leave as {@code segments} makes them, counted by {@code counter} (default: no GSO, not counted). */
    public StandInQuicServer datagrams(SegmentedDatagramPacketAllocator segments, DatagramCounter counter) {
        this.segments = Objects.requireNonNull(segments, "segments");
        this.datagrams = counter;
        return this;
    }

    /** The port to bind (default 0: a free one); a stand-in for a process restarted at the address of another. */
    public StandInQuicServer port(int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0 to 65535)");
        }
        this.port = port;
        return this;
    }

    /** Binds the server on {@code loop}; close the endpoint returned. */
    public QuicServerEndpoint bind(EventLoopGroup loop) {
        TlsContexts tls = TlsContexts.server(role, TlsIdentity.of(pki, role).material(),
                ClientCertificates.anyOfTheCa(clientCertificateRequired));
        return QuicServerEndpoint.bind("test-" + role, "test", loop, HostPort.parse("test", "127.0.0.1:" + port),
                QuicCodecs.server(limits, tls.serverContext(), connections, streams, null, segments), datagrams);
    }

    /** A stream handler (either side's) that reads and drops whatever comes on each stream. */
    public static ChannelHandler discardingReads() {
        return onEachRead(ctx -> { });
    }

    /** As {@link #discardingReads()}, finishing its side of a stream once the peer finished its own. */
    public static ChannelHandler discardingReadsFinishingAfterThePeer() {
        return streams(ctx -> { }, true);
    }

    /** A stream handler (either side's) that drops each message read on a stream, then tells {@code reaction}. */
    public static ChannelHandler onEachRead(Consumer<ChannelHandlerContext> reaction) {
        return streams(reaction, false);
    }

    private static ChannelHandler streams(Consumer<ChannelHandlerContext> onRead, boolean finishAfterThePeer) {
        Objects.requireNonNull(onRead, "onRead");
        return new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ReferenceCountUtil.release(msg);
                        onRead.accept(ctx);
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                        if (finishAfterThePeer && event instanceof ChannelInputShutdownReadComplete) {
                            QuicStreams.finish(stream);
                        }
                        ReferenceCountUtil.release(event);
                    }
                });
            }
        };
    }

    private static ChannelInitializer<Channel> nothing() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
            }
        };
    }
}
