package io.connectionswap.worker.registration;

import io.connectionswap.protocol.message.Drain;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.RegistrationAck;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.StreamFailures;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.protocol.tls.QuicTls;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.worker.config.WorkerProperties;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Keeps this worker registered with the director: connects with the worker certificate (mutual TLS), sends a
 * {@link WorkerRegistration} on a control stream kept alive by heartbeats, and registers again whenever the
 * connection is lost (the director restarted, or the network dropped), with capped backoff. A drain notice
 * goes over the same stream.
 */
@Component
public class DirectorRegistration {

    private static final Logger log = LoggerFactory.getLogger(DirectorRegistration.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);

    private final WorkerProperties properties;
    private final EventLoopGroup group;
    private final QuicConnector connector;
    private final String instanceId = UUID.randomUUID().toString();
    private volatile HostPort advertised;
    private volatile int httpPort = -1;
    private volatile boolean running;
    private volatile QuicStreamChannel control;
    private volatile Instant registeredAt;
    private volatile String lastProblem;
    private Duration nextRetry = FIRST_RETRY;

    public DirectorRegistration(WorkerProperties properties, TlsIdentity workerIdentity, QuicSettings settings,
                                EventLoopGroup group) {
        this.properties = properties;
        this.group = group;
        this.connector = new QuicConnector(group, settings, QuicTls.client(workerIdentity));
    }

    /** The QUIC server is bound; this is the address the director will dial. */
    public void serverBound(HostPort advertisedAddress) {
        this.advertised = advertisedAddress;
    }

    @EventListener
    public void webServerStarted(WebServerInitializedEvent event) {
        if (!"management".equals(event.getApplicationContext().getServerNamespace())) {
            httpPort = event.getWebServer().getPort();
        }
    }

    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        running = true;
        group.next().execute(this::connect);
    }

    public void stop() {
        running = false;
        QuicStreamChannel current = control;
        if (current != null) {
            current.parent().close();
        }
    }

    /** Tells the director this worker is draining; it will move every stream away. */
    public void drain() {
        QuicStreamChannel current = control;
        if (current != null && current.isActive()) {
            current.writeAndFlush(new Drain(properties.label(), "shutdown"));
        } else {
            log.warn("worker={} not registered with the director; draining without telling it", properties.label());
        }
    }

    public boolean isRegistered() {
        QuicStreamChannel current = control;
        return current != null && current.isActive() && registeredAt != null;
    }

    public Instant registeredAt() {
        return registeredAt;
    }

    public String lastProblem() {
        return lastProblem;
    }

    public String instanceId() {
        return instanceId;
    }

    public WorkerRegistration registration() {
        HostPort address = advertised;
        String healthUrl = properties.advertiseHealthUrl();
        if (healthUrl == null || healthUrl.isBlank()) {
            healthUrl = "http://" + hostForUrl(address.host()) + ":" + httpPort + "/actuator/health";
        }
        return new WorkerRegistration(properties.label(), address.toString(), healthUrl,
                properties.tokenInterval().toMillis(), instanceId);
    }

    private static String hostForUrl(String host) {
        if ("0.0.0.0".equals(host)) {
            return "127.0.0.1";
        }
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    private void connect() {
        if (!running) {
            return;
        }
        HostPort director = properties.director();
        java.net.InetSocketAddress remote;
        try {
            remote = director.resolve();
        } catch (IllegalArgumentException e) {
            retryLater("cannot resolve director " + director + ": " + e.getMessage());
            return;
        }
        connector.connect(remote, director.host(), null, null).addListener(connected -> {
            if (!connected.isSuccess()) {
                retryLater("cannot reach director " + director + ": " + connected.cause());
                return;
            }
            QuicChannel connection = (QuicChannel) connected.getNow();
            connection.closeFuture().addListener(closed -> connectionLost(director));
            connection.createStream(QuicStreamType.BIDIRECTIONAL, new io.netty.channel.ChannelInitializer<QuicStreamChannel>() {
                @Override
                protected void initChannel(QuicStreamChannel stream) {
                    StreamPipelines.messages(stream, io.connectionswap.protocol.frame.Frames.DEFAULT_MAX_PAYLOAD_BYTES,
                            Heartbeats.sender(properties.heartbeatInterval(), properties.heartbeatTimeout(),
                                    () -> {
                                        log.warn("worker={} director.addr={} no heartbeat echo for {}; reconnecting",
                                                properties.label(), director, properties.heartbeatTimeout());
                                        connection.close();
                                    }));
                    stream.pipeline().addLast(new AckHandler(director));
                }
            }).addListener(created -> {
                if (!created.isSuccess()) {
                    connection.close();
                    return;
                }
                QuicStreamChannel stream = (QuicStreamChannel) created.getNow();
                control = stream;
                stream.writeAndFlush(registration());
            });
        });
    }

    private void connectionLost(HostPort director) {
        boolean wasRegistered = registeredAt != null;
        registeredAt = null;
        control = null;
        if (running) {
            if (wasRegistered) {
                log.warn("worker={} director.addr={} lost director connection; registering again", properties.label(), director);
            }
            nextRetry = FIRST_RETRY;
            group.next().schedule(this::connect, nextRetry.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void retryLater(String problem) {
        if (!running) {
            return;
        }
        if (!problem.equals(lastProblem)) {
            log.warn("worker={} retry.in={} problem=\"{}\" registration with director failed", properties.label(),
                    nextRetry, problem);
        }
        lastProblem = problem;
        group.next().schedule(this::connect, nextRetry.toMillis(), TimeUnit.MILLISECONDS);
        Duration doubled = nextRetry.multipliedBy(2);
        nextRetry = doubled.compareTo(properties.registrationRetryMax()) > 0 ? properties.registrationRetryMax() : doubled;
    }

    private final class AckHandler extends SimpleChannelInboundHandler<Message> {
        private final HostPort director;

        AckHandler(HostPort director) {
            this.director = director;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Message message) {
            if (message instanceof RegistrationAck ack) {
                registeredAt = Instant.now();
                lastProblem = null;
                nextRetry = FIRST_RETRY;
                log.info("worker={} director.addr={} director.id={} workers={} registered with director",
                        properties.label(), director, ack.directorId(), ack.workers());
            } else if (message instanceof StreamError error) {
                lastProblem = "director refused registration: " + error.code() + " " + error.message();
                log.error("worker={} director.addr={} error={} problem=\"{}\" director refused registration",
                        properties.label(), director, error.code(), error.message());
            } else {
                log.warn("worker={} director.addr={} frame={} ignoring unexpected frame on registration stream",
                        properties.label(), director, message.frameType());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            StreamFailures.endStream(ctx.channel(), log, "worker", cause);
            ctx.channel().parent().close();
        }
    }
}
