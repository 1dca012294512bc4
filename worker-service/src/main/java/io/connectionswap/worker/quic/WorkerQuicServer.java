package io.connectionswap.worker.quic;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.CloseOnPeerClose;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicCodecs;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.ShutdownCloseWindow;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.service.config.ShutdownPhase;
import io.connectionswap.worker.config.WorkerProperties;
import io.connectionswap.worker.registration.DirectorRegistration;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.stereotype.Component;

/**
 * The worker's QUIC server. Binds when the context starts (publishing the bound port as {@code local.quic.port});
 * on shutdown it drains: readiness goes to REFUSING_TRAFFIC, the director is told over the registration stream and
 * moves every stream away at a token boundary, and the server closes once no stream is left or the drain timeout
 * has passed: then every stream still open ends with SHUTTING_DOWN behind what it carries (a generation that ended
 * keeps its END), and the server waits a moment for the director to read them (a connection's close drops what is
 * not sent yet). It closes each QUIC connection first with a SHUTTING_DOWN CONNECTION_CLOSE (the directors learn at
 * once), then the socket. A director that connects between those closes and the socket's is closed the same way at once.
 * A connection a director closes closes as its close is read ({@link CloseOnPeerClose}), stopping its generations.
 */
@Component
public class WorkerQuicServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WorkerQuicServer.class);
    /**
     * Longest wait for the connections' CONNECTION_CLOSE to go out before the server's socket closes: the directors
     * wait past it before redialling ({@link ShutdownCloseWindow}).
     */
    static final Duration CONNECTION_CLOSE_WAIT = ShutdownCloseWindow.CONNECTION_CLOSE_WAIT;
    /** Longest wait, after a drain timeout, for the director to read the streams ended then (their FINs). */
    static final Duration CUT_STREAMS_WAIT = ShutdownCloseWindow.CUT_STREAMS_WAIT;

    private final WorkerProperties properties;
    private final TlsContexts tls;
    private final QuicSettings settings;
    private final EventLoopGroup group;
    private final WorkerStreamContext streamContext;
    private final ActiveStreams activeStreams;
    private final DirectorRegistration registration;
    private final ApplicationEventPublisher events;
    private final ConfigurableEnvironment environment;
    private final QuicConnections connections;
    private volatile QuicServerEndpoint endpoint;

    public WorkerQuicServer(WorkerProperties properties, TlsContexts workerTls, QuicSettings settings,
                            EventLoopGroup group, WorkerStreamContext streamContext, ActiveStreams activeStreams,
                            DirectorRegistration registration, ApplicationEventPublisher events,
                            ConfigurableEnvironment environment, QuicConnections workerQuicConnections) {
        this.properties = properties;
        this.tls = workerTls;
        this.settings = settings;
        this.group = group;
        this.streamContext = streamContext;
        this.activeStreams = activeStreams;
        this.registration = registration;
        this.events = events;
        this.environment = environment;
        this.connections = workerQuicConnections;
    }

    @Override
    public void start() {
        HostPort address = properties.bindAddress();
        // only the director's certificate is accepted (WorkerTlsConfiguration); every new connection takes the TLS
        // context current then, so certificates rotate without a restart; a connection the director closes closes as
        // its close is read, stopping its generations then, not after QUIC's draining period
        ChannelHandler codec = QuicCodecs.server(settings, tls.serverContext(),
                CloseOnPeerClose.before(new ConnectionLogger()), new StreamInitializer(), null);
        endpoint = QuicServerEndpoint.bind(properties.roleName(), WorkerProperties.ADDR_SETTING, group, address,
                codec);
        int port = endpoint.localAddress().getPort();
        environment.getPropertySources().addFirst(new MapPropertySource("worker-quic-server", Map.of("local.quic.port", port)));
        registration.serverBound(properties.advertisedAddress(port));
        if (address.isAnyAddress() && (properties.advertise() == null || properties.advertise().isBlank())) {
            LogLine.warn(log).field("worker", properties.label()).field("worker.addr", address)
                    .log("binds every interface but CONNECTION_SWAP_WORKER_ADVERTISE is not set; the director will "
                            + "dial {}", properties.advertisedAddress(port));
        }
        LogLine.info(log).field("worker", properties.label()).field("worker.addr", address.withPort(port))
                .field("alpn", io.connectionswap.protocol.frame.Frames.ALPN).log("quic server listening");
        // after a drain timeout the stop waits for the streams it ended to be read, then closes the directors'
        // connections: the phase must hold those waits too
        ShutdownPhase.warnIfOutlasted(environment, properties.drainTimeout(), ShutdownCloseWindow.afterDrainTimeout(),
                "CONNECTION_SWAP_DRAIN_TIMEOUT", log);
    }

    @Override
    public void stop(Runnable callback) {
        QuicServerEndpoint current = endpoint;
        if (current == null) {
            callback.run();
            return;
        }
        streamContext.startDraining();
        AvailabilityChangeEvent.publish(events, this, ReadinessState.REFUSING_TRAFFIC);
        LogLine.info(log).field("worker", properties.label()).field("streams", activeStreams.count())
                .field("drain.timeout", properties.drainTimeout()).log("draining worker");
        registration.drain();
        awaitNoStream(System.nanoTime() + properties.drainTimeout().toNanos(),
                drained -> drainEnded(current, drained, callback));
    }

    /**
     * The drain ended: with every stream gone, the server closes; at its timeout, the streams still open end and the
     * server waits, up to {@link #CUT_STREAMS_WAIT}, for the director to read what they then carry (each closes on its
     * FIN after their END or ERROR), since the connection's close drops whatever quiche has not sent yet; then closes.
     */
    private void drainEnded(QuicServerEndpoint current, boolean drained, Runnable callback) {
        if (drained) {
            LogLine.info(log).field("worker", properties.label()).log("drained; closing quic server");
            close(current, callback);
            return;
        }
        LogLine.warn(log).field("worker", properties.label()).field("streams", activeStreams.count())
                .log("drain timeout passed; ending the streams still open with SHUTTING_DOWN");
        int cut = activeStreams.cutAll();
        long cutAt = System.nanoTime();
        awaitNoStream(cutAt + CUT_STREAMS_WAIT.toNanos(), read -> {
            LogLine.at(log, read ? Level.INFO : Level.WARN).field("worker", properties.label())
                    .field("cut.streams", cut).field("unread.streams", activeStreams.count())
                    .field("frames.read", read)
                    .field("waited.ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt))
                    .log(read ? "streams ended at the drain timeout were read; closing quic server"
                            : "streams ended at the drain timeout not read in time; closing quic server all the same");
            close(current, callback);
        });
    }

    /**
     * Looks every 10 ms, on a worker loop, until no stream is left or {@code deadline} ({@link System#nanoTime()}) has
     * passed; then runs {@code then} with whether no stream is left.
     */
    private void awaitNoStream(long deadline, Consumer<Boolean> then) {
        boolean none = activeStreams.isEmpty();
        if (none || System.nanoTime() >= deadline) {
            then.accept(none);
            return;
        }
        group.next().schedule(() -> awaitNoStream(deadline, then), 10, TimeUnit.MILLISECONDS);
    }

    private void close(QuicServerEndpoint current, Runnable callback) {
        registration.stop();
        closeConnections(() -> current.close().addListener(closed -> {
            endpoint = null;
            callback.run();
        }));
    }

    /**
     * Closes every QUIC connection with SHUTTING_DOWN before the server's socket goes: closing only the socket sends
     * nothing, and a director would learn of it at its link heartbeat timeout, moving the streams still here late.
     * Waits at most {@link #CONNECTION_CLOSE_WAIT} for the closes to go out, then runs {@code then} on a worker loop.
     */
    private void closeConnections(Runnable then) {
        int open = connections.size();
        LogLine.info(log).field("worker", properties.label()).field("connections", open)
                .field("code", ErrorCode.SHUTTING_DOWN).log("closing quic connections to directors");
        AtomicBoolean done = new AtomicBoolean();
        ScheduledFuture<?> bound = group.next().schedule(() -> {
            if (done.compareAndSet(false, true)) {
                LogLine.warn(log).field("worker", properties.label()).field("connections", connections.size())
                        .field("waited.ms", CONNECTION_CLOSE_WAIT.toMillis())
                        .log("quic connections not closed in time; closing the server all the same");
                then.run();
            }
        }, CONNECTION_CLOSE_WAIT.toNanos(), TimeUnit.NANOSECONDS);
        connections.closeAll(ErrorCode.SHUTTING_DOWN.code(), properties.roleName() + " is shutting down")
                .addListener(closed -> {
                    if (done.compareAndSet(false, true)) {
                        bound.cancel(false);
                        group.next().execute(then);
                    }
                });
    }

    @Override
    public void stop() {
        throw new UnsupportedOperationException("stop(Runnable) drains asynchronously; stop() is not supported");
    }

    @Override
    public boolean isRunning() {
        return endpoint != null;
    }

    /** The bound address, or null before start. */
    public InetSocketAddress localAddress() {
        QuicServerEndpoint current = endpoint;
        return current == null ? null : current.localAddress();
    }

    private final class StreamInitializer extends ChannelInitializer<QuicStreamChannel> {
        @Override
        protected void initChannel(QuicStreamChannel stream) {
            // the director's heartbeat stream is answered here (and is the connection's token stream when the director opens
            // it with a TokenStream message); generation streams go on to the handler
            StreamPipelines.messages(stream, settings.frameLimits(), Heartbeats.responder());
            stream.pipeline().addLast(WorkerTokenStream.Acceptor.INSTANCE, new GenerationStreamHandler(streamContext));
        }
    }

    @ChannelHandler.Sharable
    private final class ConnectionLogger extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            QuicChannel connection = (QuicChannel) ctx.channel();
            if (connections.add(connection)) {
                LogLine.debug(log).field("worker", properties.label())
                        .field("peer", connection.remoteSocketAddress()).log("director connected");
            } else {
                // dialled after the server began closing its connections, while its socket is still up: the same
                // SHUTTING_DOWN close as theirs, now, instead of a link that dies with the process unannounced
                LogLine.info(log).field("worker", properties.label()).field("code", ErrorCode.SHUTTING_DOWN)
                        .log("director connected while the quic server closes; closed at once");
            }
            ctx.fireChannelActive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LogLine.warn(log).field("worker", properties.label())
                    .field("peer", ((QuicChannel) ctx.channel()).remoteSocketAddress())
                    .quoted("problem", cause.toString()).log("quic connection failed");
        }
    }
}
