package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.quic.testing.StandInQuicServer;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A QUIC server and one client connection to it over loopback, with the development PKI, each side on its own event
 * loop: the fixture of the tests that look at what goes on the wire.
 */
final class LoopbackQuic implements AutoCloseable {

    static final Duration DEADLINE = Duration.ofSeconds(20);

    final EventLoopGroup serverLoop;
    final EventLoopGroup clientLoop;
    private QuicServerEndpoint server;
    private QuicChannel connection;

    private LoopbackQuic(QuicTransport serverTransport, QuicTransport clientTransport) {
        serverLoop = QuicEventLoops.create("test-quic-server", 1, serverTransport);
        clientLoop = QuicEventLoops.create("test-quic-client", 1, clientTransport);
    }

    /**
     * Binds a server whose streams get {@code serverStreamHandler} and whose packets leave as {@code segments} makes
     * them, counted by {@code serverDatagrams}, and connects a client to it.
     */
    static LoopbackQuic open(Path pki, QuicTransport serverTransport, QuicTransport clientTransport,
                             ChannelHandler serverStreamHandler, SegmentedDatagramPacketAllocator segments,
                             DatagramCounter serverDatagrams) throws Exception {
        DevelopmentPki.create(pki);
        LoopbackQuic quic = new LoopbackQuic(serverTransport, clientTransport);
        try {
            quic.server = StandInQuicServer.presenting(pki, "director", false).streams(serverStreamHandler)
                    .datagrams(segments, serverDatagrams).bind(quic.serverLoop);
            TlsContexts clientTls = TlsContexts.client("client", TlsIdentity.of(pki, "client").material());
            quic.connection = new QuicConnector(quic.clientLoop, QuicSettings.DEFAULTS, clientTls.clientContext())
                    .connect(new InetSocketAddress("127.0.0.1", quic.server.localAddress().getPort()), "localhost",
                            null, null)
                    .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            return quic;
        } catch (Exception | Error e) {
            quic.close();
            throw e;
        }
    }

    /** The client's connection to the server. */
    QuicChannel connection() {
        return connection;
    }

    @Override
    public void close() {
        if (connection != null) {
            connection.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        serverLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
