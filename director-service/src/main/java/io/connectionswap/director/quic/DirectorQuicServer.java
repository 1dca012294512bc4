package io.connectionswap.director.quic;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.Peers;
import io.connectionswap.protocol.quic.QuicCodecs;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.protocol.tls.TlsContexts;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The director's QUIC server: clients and registering workers connect here. Binds when the context starts (the
 * bound port is published as {@code local.quic.port}); on shutdown it stops the stall watch and closes every
 * connection, so clients reconnect (to another replica) and resume.
 */
public class DirectorQuicServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DirectorQuicServer.class);

    private final DirectorProperties properties;
    private final LimitProperties limits;
    private final TlsContexts tls;
    private final QuicSettings settings;
    private final EventLoop loop;
    private final Relay relay;
    private final WorkerRegistry registry;
    private final DirectorMeters meters;
    private final ConfigurableEnvironment environment;
    private final ConnectionIds connectionIds = new ConnectionIds();
    private final Set<QuicChannel> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger clientConnections = new AtomicInteger();
    private volatile QuicServerEndpoint endpoint;

    public DirectorQuicServer(DirectorProperties properties, LimitProperties limits, TlsContexts tls,
                              QuicSettings settings, EventLoop loop, Relay relay, WorkerRegistry registry,
                              DirectorMeters meters, ConfigurableEnvironment environment) {
        this.properties = properties;
        this.limits = limits;
        this.tls = tls;
        this.settings = settings;
        this.loop = loop;
        this.relay = relay;
        this.registry = registry;
        this.meters = meters;
        this.environment = environment;
    }

    @Override
    public void start() {
        HostPort address = properties.bindAddress();
        // a client may have this many streams open at once (QUIC's MAX_STREAMS; more wait for credit)
        QuicSettings serverSettings = settings.withMaxBidirectionalStreams(limits.maxStreamsPerConnection());
        // every new connection takes the TLS context current then: certificates rotate without a restart
        ChannelHandler codec = QuicCodecs.server(serverSettings, tls.serverContext(),
                new ConnectionHandler(), new StreamInitializer(),
                limits.addressValidation() ? new AddressTokens(meters) : null);
        endpoint = QuicServerEndpoint.bind("director", loop, address, codec);
        int port = endpoint.localAddress().getPort();
        environment.getPropertySources().addFirst(new MapPropertySource("director-quic-server", Map.of("local.quic.port", port)));
        relay.start();
        log.info("director.id={} director.addr={} alpn={} client.auth={} address.validation={} "
                + "max.streams.per.connection={} max.client.connections={} quic server listening", properties.id(),
                address.withPort(port), Frames.ALPN, tls.clientCertificates().describe(), limits.addressValidation(),
                limits.maxStreamsPerConnection(), limits.maxClientConnections());
    }

    @Override
    public void stop(Runnable callback) {
        QuicServerEndpoint current = endpoint;
        if (current == null) {
            callback.run();
            return;
        }
        log.info("director.id={} connections={} streams={} director shutting down; closing connections", properties.id(),
                connections.size(), relay.activeSessions());
        relay.stop();
        byte[] reason = "director shutting down".getBytes(StandardCharsets.UTF_8);
        for (QuicChannel connection : connections) {
            connection.close(true, ErrorCode.SHUTTING_DOWN.code(), Unpooled.wrappedBuffer(reason));
        }
        current.close().addListener(closed -> {
            endpoint = null;
            callback.run();
        });
    }

    @Override
    public void stop() {
        throw new UnsupportedOperationException("stop(Runnable) closes asynchronously; stop() is not supported");
    }

    @Override
    public boolean isRunning() {
        return endpoint != null;
    }

    public InetSocketAddress localAddress() {
        QuicServerEndpoint current = endpoint;
        return current == null ? null : current.localAddress();
    }

    public int openConnections() {
        return connections.size();
    }

    /** Client connections open now. */
    public int openClientConnections() {
        return clientConnections.get();
    }

    /** Stream channels held by the connections accepted here (clients and worker registrations); any thread. */
    public int heldStreams() {
        int held = 0;
        for (QuicChannel connection : connections) {
            held += Math.max(0, QuicStreams.held(connection));
        }
        return held;
    }

    private final class StreamInitializer extends ChannelInitializer<QuicStreamChannel> {
        @Override
        protected void initChannel(QuicStreamChannel stream) {
            if (QuicStreams.held(stream.parent()) >= limits.maxStreamsPerConnection()) {
                meters.limitHit(DirectorMeters.Limit.STREAMS_PER_CONNECTION); // QUIC holds further streams back
            }
            StreamPipelines.messages(stream, settings.frameLimits(), Heartbeats.responder());
            stream.pipeline().addAfter(stream.pipeline().context(FrameDecoder.class).name(), "first-frame-timeout",
                    new FirstFrameTimeout(limits.firstFrameTimeout(), meters));
            stream.pipeline().addLast(new FirstMessageRouter(relay, registry, properties.id(), meters));
        }
    }

    @ChannelHandler.Sharable
    private final class ConnectionHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            QuicChannel connection = (QuicChannel) ctx.channel();
            connections.add(connection);
            String peerName = Peers.certificateName(connection);
            boolean client = !RegistrationStreamHandler.WORKER_CERTIFICATE_NAME.equals(peerName);
            if (client && clientConnections.incrementAndGet() > limits.maxClientConnections()) {
                clientConnections.decrementAndGet();
                connections.remove(connection);
                meters.limitHit(DirectorMeters.Limit.CLIENT_CONNECTIONS);
                log.warn("peer={} peer.cert={} error={} limit={} too many client connections; refusing this one",
                        Peers.address(connection), peerName, ErrorCode.OVERLOADED, limits.maxClientConnections());
                byte[] reason = ("director has " + limits.maxClientConnections() + " client connections, its limit "
                        + "(CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS); try later or another director")
                        .getBytes(StandardCharsets.UTF_8);
                connection.close(true, ErrorCode.OVERLOADED.code(), Unpooled.wrappedBuffer(reason));
                return;
            }
            if (client) {
                String id = connectionIds.assign(connection);
                meters.clientConnectionOpened();
                log.info("connection.id={} peer={} peer.cert={} client connected", id, Peers.address(connection), peerName);
            } else {
                log.debug("peer={} worker registration connection opened", Peers.address(connection));
            }
            connection.closeFuture().addListener(closed -> {
                connections.remove(connection);
                if (client) {
                    clientConnections.decrementAndGet();
                    log.info("connection.id={} peer={} client connection closed", ConnectionIds.of(connection),
                            Peers.address(connection));
                }
            });
            ctx.fireChannelActive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("peer={} problem=\"{}\" quic connection error", Peers.address(ctx.channel()), cause.toString());
        }
    }
}
