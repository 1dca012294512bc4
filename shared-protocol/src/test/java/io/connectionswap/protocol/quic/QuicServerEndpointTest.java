package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.tls.ClientCertificates;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** A server bound once per event loop on one port (SO_REUSEPORT), on nio and on the default transport (epoll here). */
class QuicServerEndpointTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private final List<EventLoopGroup> groups = new ArrayList<>();
    private final List<QuicServerEndpoint> endpoints = new ArrayList<>();

    @AfterEach
    void close() {
        endpoints.forEach(endpoint -> endpoint.close().awaitUninterruptibly(5, TimeUnit.SECONDS));
        groups.forEach(group -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS));
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "auto"})
    void eachLoopServesTheConnectionsTheKernelHandsItsSocket(String transport, @TempDir Path pki) throws Exception {
        DevelopmentPki.create(pki);
        List<EventLoop> loops = loops("test-shared", 2, QuicTransport.fromSetting("test", transport));
        Set<EventLoop> servingLoops = ConcurrentHashMap.newKeySet();
        TlsContexts serverTls = TlsContexts.server("director", TlsIdentity.of(pki, "director").material(),
                ClientCertificates.anyOfTheCa(false));
        ChannelHandler connections = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                servingLoops.add(ctx.channel().eventLoop());
                ctx.fireChannelActive();
            }

            @Override
            public boolean isSharable() {
                return true;
            }
        };
        QuicServerEndpoint server = QuicServerEndpoint.bindShared("test", "test", loops,
                HostPort.parse("test", "127.0.0.1:0"),
                () -> QuicCodecs.server(QuicSettings.DEFAULTS, serverTls.serverContext(), connections,
                        new ChannelInboundHandlerAdapter(), null), null);
        endpoints.add(server);
        assertThat(server.sockets()).isEqualTo(2);

        // every connection opens its own UDP socket: 16 source ports, spread by the kernel's hash over both sockets
        EventLoopGroup clients = group("test-clients", 1, QuicTransport.NIO);
        TlsContexts clientTls = TlsContexts.client("client", TlsIdentity.of(pki, "client").material());
        QuicConnector connector = new QuicConnector(clients, QuicSettings.DEFAULTS, clientTls.clientContext());
        List<QuicChannel> opened = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            opened.add(connector.connect(new InetSocketAddress("127.0.0.1", server.localAddress().getPort()),
                    "localhost", null, null).get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
        }

        assertThat(opened).allMatch(QuicChannel::isActive);
        assertThat(servingLoops).as("both loops serve connections").containsExactlyInAnyOrderElementsOf(loops);
        opened.forEach(connection -> connection.close().awaitUninterruptibly(5, TimeUnit.SECONDS));
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "auto"})
    void aPortTakenBySharedSocketsIsNotSharedAgain(String transport) {
        List<EventLoop> loops = loops("test-first", 2, QuicTransport.fromSetting("test", transport));
        QuicServerEndpoint first = QuicServerEndpoint.bindShared("first", "test", loops,
                HostPort.parse("test", "127.0.0.1:0"),
                ChannelInboundHandlerAdapter::new, null);
        endpoints.add(first);
        HostPort taken = HostPort.parse("test", "127.0.0.1:" + first.localAddress().getPort());

        List<EventLoop> others = loops("test-second", 2, QuicTransport.fromSetting("test", transport));
        assertThatThrownBy(() -> endpoints.add(QuicServerEndpoint.bindShared("second", "test", others, taken,
                ChannelInboundHandlerAdapter::new, null)))
                .isInstanceOf(QuicEndpointException.class)
                .hasMessageContaining("second cannot bind QUIC server to udp/127.0.0.1:" + taken.port())
                .hasMessageContaining("Address already in use");
    }

    private List<EventLoop> loops(String name, int count, QuicTransport transport) {
        EventLoopGroup group = group(name, count, transport);
        List<EventLoop> loops = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            loops.add(group.next());
        }
        return loops;
    }

    private EventLoopGroup group(String name, int count, QuicTransport transport) {
        EventLoopGroup group = QuicEventLoops.create(name, count, transport);
        groups.add(group);
        return group;
    }
}
