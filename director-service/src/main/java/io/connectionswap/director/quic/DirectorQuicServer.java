package io.connectionswap.director.quic;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.DrainProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.config.RoutingLoops;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.WorkerCertificate;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relays;
import io.connectionswap.protocol.frame.FrameBudget;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.CloseOnPeerClose;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.Peers;
import io.connectionswap.protocol.quic.QuicCodecs;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.QuicTransport;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.service.config.ShutdownPhase;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The director's QUIC server: clients and registering workers connect here. Binds when the context starts (the
 * bound port is published as {@code local.quic.port}). Its shutdown is a drain ({@link DirectorDrain}): readiness
 * down, new streams refused, GOAWAY to every client, running generations ended with RETRY so they resume at another
 * director replica, a bounded wait ({@code CONNECTION_SWAP_DIRECTOR_DRAIN_TIMEOUT}) for the clients to leave, then
 * every connection closed. Asynchronous, as Spring's {@code stop(Runnable)} allows.
 *
 * <p>Each routing loop binds its own UDP socket on the director's port (SO_REUSEPORT when there are several): the
 * kernel keeps a client's datagrams on one socket, so its connection, streams and relay sessions stay on one loop.
 */
public class DirectorQuicServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DirectorQuicServer.class);

    private final DirectorProperties properties;
    private final LimitProperties limits;
    private final TlsContexts tls;
    private final QuicSettings settings;
    private final RoutingLoops loops;
    private final Relays relays;
    private final WorkerRegistry registry;
    private final DirectorMeters meters;
    private final ConfigurableEnvironment environment;
    private final ConnectionIds connectionIds = new ConnectionIds();
    private final Set<QuicChannel> connections = ConcurrentHashMap.newKeySet();
    private final Set<QuicChannel> clients = ConcurrentHashMap.newKeySet();
    private final ClientConnectionLimits clientLimits;
    private final PendingRequestBytes pendingRequests;
    private final DrainProperties drainProperties;
    private final DirectorDrain drain;
    private volatile QuicServerEndpoint endpoint;

    public DirectorQuicServer(DirectorProperties properties, LimitProperties limits, TlsContexts tls,
                              QuicSettings settings, RoutingLoops loops, Relays relays, WorkerRegistry registry,
                              DirectorMeters meters, ConfigurableEnvironment environment, DrainProperties drain) {
        this.properties = properties;
        this.limits = limits;
        this.tls = tls;
        this.settings = settings;
        this.loops = loops;
        this.relays = relays;
        this.registry = registry;
        this.meters = meters;
        this.environment = environment;
        this.drainProperties = drain;
        this.clientLimits = new ClientConnectionLimits(limits, meters, log);
        this.pendingRequests = new PendingRequestBytes(limits, meters);
        this.drain = new DirectorDrain(properties.id(), drain.timeout(), loops.registryLoop(), relays,
                () -> List.copyOf(clients),
                () -> List.copyOf(connections));
    }

    @Override
    public void start() {
        HostPort address = properties.bindAddress();
        // a client may have this many streams open at once (QUIC's MAX_STREAMS): with Netty's codec a client's open
        // past it fails at once (STREAM_LIMIT) rather than waiting for credit, which comes back as its streams end
        QuicSettings serverSettings = settings.withMaxBidirectionalStreams(limits.maxStreamsPerConnection());
        // every new connection takes the TLS context current then: certificates rotate without a restart
        QuicTransport transport = QuicTransport.of(loops.registryLoop());
        // a connection the peer closes closes as its close is read: its client slot frees, its sessions end, at once
        ChannelHandler connectionHandler = CloseOnPeerClose.before(new ConnectionHandler());
        StreamInitializer streamInitializer = new StreamInitializer();
        AddressTokens addressTokens = limits.addressValidation() ? new AddressTokens(meters) : null;
        // a codec per socket: each keeps the connections of its own loop
        endpoint = QuicServerEndpoint.bindShared("director", DirectorProperties.ADDR_SETTING, loops.all(), address,
                () -> QuicCodecs.server(serverSettings, tls.serverContext(), connectionHandler, streamInitializer,
                        addressTokens, transport.segments(properties.udpGso())),
                meters.clientDatagrams());
        int port = endpoint.localAddress().getPort();
        environment.getPropertySources().addFirst(new MapPropertySource("director-quic-server", Map.of("local.quic.port", port)));
        relays.start();
        LogLine.info(log).field("director.id", properties.id()).field("director.addr", address.withPort(port))
                .field("alpn", Frames.ALPN).field("transport", transport.label())
                .field("routing.loops", loops.size())
                .field("busy.poll", properties.busyPoll())
                .field("udp.gso", transport.gsoAvailable(properties.udpGso()))
                .field("client.auth", tls.clientCertificates().describe())
                .field("address.validation", limits.addressValidation())
                .field("max.streams.per.connection", limits.maxStreamsPerConnection())
                .field("max.client.connections", limits.maxClientConnections())
                .field("max.address.connections", limits.maxClientConnectionsPerAddress())
                .field("max.pending.request.bytes", limits.maxPendingRequestBytes().toBytes())
                .log("quic server listening");
        ShutdownPhase.warnIfOutlasted(environment, drainProperties.timeout(), "CONNECTION_SWAP_DIRECTOR_DRAIN_TIMEOUT",
                log);
        warnIfBusyPollTakesEveryCore(loops.size());
    }

    /** Busy-polling loops each take a whole core: on every core, nothing is left for the rest of the process. */
    private void warnIfBusyPollTakesEveryCore(int loopCount) {
        int processors = Runtime.getRuntime().availableProcessors();
        if (properties.busyPoll() && loopCount >= processors) {
            LogLine.warn(log).field("routing.loops", loopCount).field("processors", processors)
                    .log("busy polling takes every core: set CONNECTION_SWAP_ROUTING_LOOPS below the processor count");
        }
    }

    /** Drains (see {@link DirectorDrain}), then stops the relay and unbinds; {@code callback} runs at the end. */
    @Override
    public void stop(Runnable callback) {
        QuicServerEndpoint current = endpoint;
        if (current == null || drain.draining()) {
            callback.run();
            return;
        }
        drain.start(() -> {
            relays.stop();
            current.close().addListener(closed -> {
                endpoint = null;
                LogLine.info(log).field("director.id", properties.id()).log("quic server stopped");
                callback.run();
            });
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

    /** Whether the shutdown drain has begun: not ready for new clients. */
    public boolean draining() {
        return drain.draining();
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
        return clientLimits.open();
    }

    /** Bytes held now in frames clients began and have not completed ({@link PendingRequestBytes}); any thread. */
    public long pendingRequestBytes() {
        return pendingRequests.held();
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
                // the connection is at its limit: the swap client queues its next streams until one ends (another
                // client's open past it fails at once, STREAM_LIMIT, in Netty's codec)
                meters.limitHit(DirectorMeters.Limit.STREAMS_PER_CONNECTION);
            }
            boolean client = clients.contains(stream.parent());
            // a worker's registration stream (its peer holds the worker certificate) sends small frames only
            StreamPipelines.messages(stream, settings.frameLimits(),
                    client ? pendingRequests.of(stream.parent()) : FrameBudget.UNLIMITED, Heartbeats.responder());
            if (client) {
                stream.pipeline().addBefore(stream.pipeline().context(Heartbeats.class).name(), "control-stream",
                        ControlStreams.marker(drain::controlStreamOpened));
            }
            stream.pipeline().addAfter(stream.pipeline().context(FrameDecoder.class).name(), "first-frame-timeout",
                    new FirstFrameTimeout(limits.firstFrameTimeout(), meters));
            // relayed by the relay of the loop its connection lives on
            stream.pipeline().addLast(new FirstMessageRouter(relays.of(stream.eventLoop()), registry, properties.id(),
                    meters));
        }
    }

    @ChannelHandler.Sharable
    private final class ConnectionHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            QuicChannel connection = (QuicChannel) ctx.channel();
            connections.add(connection);
            String peerName = Peers.certificateName(connection);
            String peer = Peers.address(connection); // read now: a closed connection has no remote address
            boolean client = !WorkerCertificate.NAME.equals(peerName);
            ClientConnectionLimits.Admission admission = client ? clientLimits.admit(connection, peerName) : null;
            if (client && admission == null) {
                connections.remove(connection); // refused, and closed
                return;
            }
            if (client) {
                clients.add(connection);
                String id = connectionIds.assign(connection);
                meters.clientConnectionOpened();
                LogLine.info(log).field("connection.id", id).field("peer", peer).field("peer.cert", peerName)
                        .log("client connected");
            } else {
                LogLine.debug(log).field("peer", peer).log("worker registration connection opened");
            }
            connection.closeFuture().addListener(closed -> {
                connections.remove(connection);
                if (client) {
                    clients.remove(connection);
                    clientLimits.release(admission);
                    LogLine.info(log).field("connection.id", ConnectionIds.of(connection))
                            .field("peer", peer).log("client connection closed");
                }
            });
            ctx.fireChannelActive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LogLine.warn(log).field("peer", Peers.address(ctx.channel())).quoted("problem", cause.toString())
                    .log("quic connection error");
        }
    }
}
