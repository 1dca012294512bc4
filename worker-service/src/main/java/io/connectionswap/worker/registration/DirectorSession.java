package io.connectionswap.worker.registration;

import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.message.Drain;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.RegistrationAck;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.CloseOnPeerClose;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.StreamFailures;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.protocol.retry.Backoff;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The registration of this worker with ONE director address: connects with the worker certificate (mutual TLS),
 * sends a {@link WorkerRegistration} on a control stream kept alive by heartbeats, and registers again whenever
 * the connection is lost (the director restarted or closed it, or the network dropped; a director's CONNECTION_CLOSE
 * closes it as it is read, {@link CloseOnPeerClose}). Every new attempt waits a
 * {@link Backoff} (capped exponential, full jitter: 0 to 100 ms first, doubling up to
 * {@code registrationRetryMax}), so the workers of a director that restarts do not come back in step. A registration
 * the director refuses closes the connection and is tried again after {@link #REFUSED_RETRY}. A problem met again
 * and again (no director at the address, the same refusal) is logged the first time, then at DEBUG with a WARN
 * reminder every few minutes ({@link RepeatedProblems}).
 */
final class DirectorSession {

    private static final Logger log = LoggerFactory.getLogger(DirectorSession.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    /**
     * The pause after the director refused the registration: a refusal says this worker's settings are wrong for that
     * director (its health URL, label, models), which a retry soon does not mend; once in a while, in case the
     * director's settings change instead.
     */
    static final Duration REFUSED_RETRY = Duration.ofSeconds(30);

    private final String label;
    private final InetSocketAddress address;
    private final String tlsName;
    private final QuicConnector connector;
    private final QuicConnections connections;
    private final EventLoop loop;
    private final Supplier<WorkerRegistration> registration;
    private final Duration heartbeatInterval;
    private final Duration heartbeatTimeout;
    private volatile boolean running = true;
    /** The connection to the director, from the moment it is up (its control stream may not be open yet). */
    private volatile QuicChannel connection;
    private volatile QuicStreamChannel control;
    private volatile Instant registeredAt;
    private volatile String directorId;
    private volatile String lastProblem;
    /** The director refused this connection's registration: the next attempt waits {@link #REFUSED_RETRY}. */
    private volatile boolean refused;
    private final RepeatedProblems problems = RepeatedProblems.withDefaults();
    private final Backoff backoff; // on loop only
    /** The worker drains: a director registered with from now on is told so right after the registration. */
    private final BooleanSupplier draining;

    DirectorSession(String label, InetSocketAddress address, String tlsName, QuicConnector connector,
                    QuicConnections connections, EventLoop loop,
                    Supplier<WorkerRegistration> registration, BooleanSupplier draining, Duration heartbeatInterval,
                    Duration heartbeatTimeout, Duration retryMax) {
        this.label = label;
        this.address = address;
        this.tlsName = tlsName;
        this.connector = connector;
        this.connections = connections;
        this.loop = loop;
        this.registration = registration;
        this.draining = draining;
        this.heartbeatInterval = heartbeatInterval;
        this.heartbeatTimeout = heartbeatTimeout;
        this.backoff = Backoff.exponential(FIRST_RETRY, retryMax.compareTo(FIRST_RETRY) < 0 ? FIRST_RETRY : retryMax);
    }

    /** {@code name/address:port}, an IPv6 address in brackets (as {@link HostPort} writes it). */
    String describe() {
        return tlsName + "/" + new HostPort(address.getAddress().getHostAddress(), address.getPort());
    }

    boolean isRegistered() {
        QuicStreamChannel current = control;
        return current != null && current.isActive() && registeredAt != null;
    }

    Instant registeredAt() {
        return registeredAt;
    }

    String directorId() {
        return directorId;
    }

    String lastProblem() {
        return lastProblem;
    }

    void start() {
        loop.execute(this::connect);
    }

    void stop() {
        running = false;
        QuicChannel current = connection;
        if (current != null) {
            current.close();
        }
    }

    /** Tells this director the worker is draining; returns false when not registered with it. */
    boolean drain() {
        QuicStreamChannel current = control;
        if (current != null && current.isActive()) {
            current.writeAndFlush(new Drain(label, "shutdown"));
            return true;
        }
        return false;
    }

    private void connect() {
        if (!running) {
            return;
        }
        // closed as the director's CONNECTION_CLOSE is read, not once QUIC's draining period is over: the worker
        // registers again (with the director's replacement, or another replica) that much sooner
        connector.connect(address, tlsName, CloseOnPeerClose.INSTANCE, null).addListener(connected -> {
            if (!connected.isSuccess()) {
                String problem = "cannot reach director " + describe() + ": " + connected.cause()
                        + QuicConnector.explainFailure(connected.cause(), "director");
                loop.execute(() -> retryLater(problem));
                return;
            }
            QuicChannel connection = (QuicChannel) connected.getNow();
            this.connection = connection;
            if (!running) { // checked after the store: a stop() that ran before it, closing nothing, is seen here
                connection.close();
                return;
            }
            connections.add(connection);
            connection.closeFuture().addListener(closed -> loop.execute(this::connectionLost));
            connection.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
                @Override
                protected void initChannel(QuicStreamChannel stream) {
                    StreamPipelines.messages(stream, FrameLimits.DEFAULTS, Heartbeats.sender(heartbeatInterval,
                            heartbeatTimeout, () -> {
                                LogLine.warn(log).field("worker", label).field("director.addr", describe())
                                        .log("no heartbeat echo for {}; reconnecting", heartbeatTimeout);
                                connection.close();
                            }));
                    stream.pipeline().addLast(new AckHandler());
                }
            }).addListener(created -> {
                if (!created.isSuccess()) {
                    connection.close();
                    return;
                }
                QuicStreamChannel stream = (QuicStreamChannel) created.getNow();
                control = stream;
                if (!running) {
                    connection.close();
                    return;
                }
                stream.writeAndFlush(registration.get());
                if (draining.getAsBoolean()) {
                    // a director that restarted, or came up, during this worker's drain: it must not send it streams
                    stream.writeAndFlush(new Drain(label, "shutdown"));
                }
            });
        });
    }

    private void connectionLost() {
        boolean wasRegistered = registeredAt != null;
        registeredAt = null;
        control = null;
        connection = null;
        if (running) {
            if (wasRegistered) {
                LogLine.warn(log).field("worker", label).field("director.addr", describe())
                        .log("lost director connection; registering again");
                backoff.reset();
            }
            Duration wait = refused ? REFUSED_RETRY : backoff.next();
            refused = false;
            loop.schedule(this::connect, wait.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void retryLater(String problem) {
        if (!running) {
            return;
        }
        Duration wait = backoff.next();
        RepeatedProblems.Occurrence occurrence = problems.occurred(problem, Level.WARN);
        occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("worker", label).field("retry.in", wait)
                .quoted("problem", problem)).log("registration with director failed");
        lastProblem = problem;
        loop.schedule(this::connect, wait.toNanos(), TimeUnit.NANOSECONDS);
    }

    private final class AckHandler extends SimpleChannelInboundHandler<Message> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Message message) {
            if (message instanceof RegistrationAck ack) {
                registeredAt = Instant.now();
                directorId = ack.directorId();
                lastProblem = null;
                problems.forget(); // registered: the next problem is news again
                loop.execute(backoff::reset); // the connection may live on another loop of the group
                LogLine.info(log).field("worker", label).field("director.addr", describe())
                        .field("director.id", ack.directorId()).field("workers", ack.workers())
                        .log("registered with director");
            } else if (message instanceof StreamError error) {
                lastProblem = "director refused registration: " + error.code() + " " + error.message();
                refused = true;
                RepeatedProblems.Occurrence occurrence = problems.occurred(lastProblem, Level.ERROR);
                occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("worker", label)
                        .field("director.addr", describe()).field("error", error.code())
                        .quoted("problem", error.message()).field("retry.in", REFUSED_RETRY))
                        .log("director refused registration");
                ctx.channel().parent().close(); // not left to the heartbeat's timeout, and no line of its own
            } else {
                LogLine.warn(log).field("worker", label).field("director.addr", describe())
                        .field("frame", message.frameType()).log("ignoring unexpected frame on registration stream");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            StreamFailures.endStream(ctx.channel(), log, "worker", cause);
            ctx.channel().parent().close();
        }
    }
}
