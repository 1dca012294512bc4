package io.connectionswap.client.quic;

import io.connectionswap.client.config.ClientProperties;
import io.connectionswap.client.metrics.ClientMeters;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.protocol.tls.QuicTls;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's single QUIC connection to the director. Every generation stream, first or resumed after a swap,
 * is opened on it. It is replaced only when the director itself is gone (connection closed, or heartbeats
 * unanswered), which counts in {@code swap_client_reconnects_total}. Loop-confined except for the volatile
 * fields read by health.
 */
public final class DirectorConnection {

    private static final Logger log = LoggerFactory.getLogger(DirectorConnection.class);

    private final ClientProperties properties;
    private final EventLoop loop;
    private final QuicConnector connector;
    private final ClientMeters meters;
    private final io.connectionswap.protocol.frame.FrameLimits frameLimits;
    private volatile QuicChannel connection;
    private volatile Instant connectedSince;
    private volatile long reconnects;
    private volatile String lastProblem;
    private boolean everConnected;
    private int targetIndex;
    private boolean connecting;
    private boolean running;
    private Duration nextRetry;
    private Consumer<QuicChannel> onConnected = channel -> { };

    public DirectorConnection(ClientProperties properties, EventLoop loop, TlsIdentity identity, QuicSettings settings,
                              ClientMeters meters) {
        this.properties = properties;
        this.loop = loop;
        this.connector = new QuicConnector(loop, settings, QuicTls.client(identity));
        this.meters = meters;
        this.frameLimits = settings.frameLimits();
        this.nextRetry = properties.retryBackoff();
    }

    /** Runs on the loop each time a connection (first or replacement) is up. */
    public void onConnected(Consumer<QuicChannel> callback) {
        this.onConnected = callback;
    }

    public void start() {
        loop.execute(() -> {
            running = true;
            connect();
        });
    }

    public void stop() {
        loop.execute(() -> {
            running = false;
            QuicChannel current = connection;
            if (current != null) {
                current.close();
            }
        });
    }

    public boolean isConnected() {
        QuicChannel current = connection;
        return current != null && current.isActive();
    }

    public Instant connectedSince() {
        return connectedSince;
    }

    public long reconnects() {
        return reconnects;
    }

    public String lastProblem() {
        return lastProblem;
    }

    /** Opens a bidirectional stream, or fails when there is no connection now. */
    public Future<QuicStreamChannel> openStream(ChannelHandler initializer) {
        QuicChannel current = connection;
        if (current == null || !current.isActive()) {
            return loop.newFailedFuture(new IllegalStateException("not connected to the director"));
        }
        return current.createStream(QuicStreamType.BIDIRECTIONAL, initializer);
    }

    private void connect() {
        if (!running || connecting) {
            return;
        }
        connecting = true;
        java.util.List<HostPort> targets = properties.directors();
        HostPort director = targets.get(Math.floorMod(targetIndex, targets.size()));
        InetSocketAddress remote;
        try {
            remote = director.resolve();
        } catch (IllegalArgumentException e) {
            connecting = false;
            retryLater("cannot resolve director " + director + ": " + e.getMessage());
            return;
        }
        String tlsName = properties.tlsName(director);
        connector.connect(remote, tlsName, null, null).addListener(done -> {
            connecting = false;
            if (!done.isSuccess()) {
                retryLater("cannot connect to director " + director + " (tls.name=" + tlsName + "): "
                        + describe(done.cause()));
                return;
            }
            connected((QuicChannel) done.getNow(), director);
        });
    }

    private void connected(QuicChannel channel, HostPort director) {
        if (!running) {
            channel.close();
            return;
        }
        connection = channel;
        connectedSince = Instant.now();
        lastProblem = null;
        nextRetry = properties.retryBackoff();
        if (everConnected) {
            reconnects++;
            meters.reconnect();
            log.warn("director.addr={} reconnects={} reconnected to director", director, reconnects);
        } else {
            log.info("director.addr={} local.addr={} connected to director", director, channel.localSocketAddress());
        }
        everConnected = true;
        channel.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.messages(stream, frameLimits, Heartbeats.sender(properties.heartbeatInterval(),
                        properties.heartbeatTimeout(), () -> {
                            log.warn("director.addr={} timeout={} director stopped answering heartbeats; reconnecting",
                                    director, properties.heartbeatTimeout());
                            channel.close();
                        }));
            }
        });
        channel.closeFuture().addListener(closed -> loop.execute(() -> lost(channel, director)));
        onConnected.accept(channel);
    }

    private void lost(QuicChannel channel, HostPort director) {
        if (connection != channel) {
            return;
        }
        connection = null;
        connectedSince = null;
        if (running) {
            targetIndex++; // another replica, when several are configured
            log.warn("director.addr={} lost connection to director; reconnecting", director);
            connect();
        }
    }

    private void retryLater(String problem) {
        if (!running) {
            return;
        }
        targetIndex++;
        if (!problem.equals(lastProblem)) {
            if (problem.contains("SSLHandshakeException")) {
                log.error("retry.in={} problem=\"{}\" TLS handshake with the director failed: its certificate is not "
                        + "signed by the CA in the certificate directory, or does not carry the name dialled", nextRetry,
                        problem);
            } else {
                log.warn("retry.in={} problem=\"{}\" cannot reach director (is it running?)", nextRetry, problem);
            }
        }
        lastProblem = problem;
        loop.schedule(this::connect, nextRetry.toMillis(), TimeUnit.MILLISECONDS);
        Duration doubled = nextRetry.multipliedBy(2);
        nextRetry = doubled.compareTo(properties.retryBackoffMax()) > 0 ? properties.retryBackoffMax() : doubled;
    }

    private static String describe(Throwable cause) {
        StringBuilder text = new StringBuilder(cause.toString());
        Throwable inner = cause.getCause();
        while (inner != null && inner != cause) {
            text.append("; caused by ").append(inner);
            cause = inner;
            inner = inner.getCause();
        }
        return text.toString();
    }
}
