package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.ClusterStatus;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.swapclient.ConnectionState;
import io.connectionswap.swapclient.ReconnectCause;
import io.connectionswap.swapclient.SwapClientListener;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's single QUIC connection to a director. Every generation stream, first or resumed after a swap, is
 * opened on it. It is replaced only when the director itself is gone (connection closed, heartbeats unanswered) or
 * going (GOAWAY), which counts as a reconnect with its {@link ReconnectCause}; with several director addresses the
 * next one is tried. Loop-confined except for what {@link #state()} reads ({@link CurrentConnection}, {@link Redials},
 * {@link Reconnects}).
 *
 * <p>Each connection's streams are its {@link DirectorStreams}: first its control stream
 * ({@link DirectorControlStream}: heartbeats and GOAWAY), then, with the client token stream on
 * ({@link DirectorLinkSettings#tokenStream}), the client token stream: the frames of the generations the director
 * serves there ({@link TokenStreamOpener}, {@link TokenStreamDemux}; an older director sends them on the control
 * stream). Every stream opens through the connection's {@link StreamOpener}, within the director's stream limit: past
 * it, streams wait for others to end.
 */
public final class DirectorLink implements Transport {

    static final Logger log = LoggerFactory.getLogger("io.connectionswap.swapclient.DirectorConnection");

    private final DirectorLinkSettings settings;
    private final EventLoop loop;
    private final DirectorDialer dialer;
    private final Reconnects reconnects;
    private final Redials redials;
    private final ConnectionWaiters waiters = new ConnectionWaiters();
    private final QuicConnections connections = new QuicConnections();
    private final CurrentConnection current = new CurrentConnection();
    /** Streams waiting for a director's stream limit, on every connection ({@link StreamOpener}). */
    private final AtomicInteger streamsWaiting = new AtomicInteger();
    private boolean connecting;
    private boolean running;
    /** Stopped for good (the client's close): never connects again. */
    private boolean stopped;

    /** @param tls this client's TLS: each new connection to a director takes its current client context */
    public DirectorLink(DirectorLinkSettings settings, EventLoop loop, TlsContexts tls, SwapClientListener listener) {
        this.settings = settings;
        this.loop = loop;
        this.dialer = new DirectorDialer(loop, new QuicConnector(loop, settings.quic(), tls.clientContext()), settings,
                streamsWaiting);
        this.reconnects = new Reconnects(GuardedListener.of(listener));
        this.redials = new Redials(settings, loop, this::connect);
    }

    public void start() {
        loop.execute(() -> {
            if (stopped) {
                return; // closed before this task ran
            }
            running = true;
            connect();
        });
    }

    /**
     * Stops connecting and closes the connection: at once on the loop, else in a task queued there. A connect attempt
     * that ends after it (its lookup or dial still under way) is not a problem to report or retry.
     */
    public void stop() {
        if (loop.inEventLoop()) {
            stopOnLoop();
        } else {
            loop.execute(this::stopOnLoop);
        }
    }

    private void stopOnLoop() {
        running = false;
        stopped = true;
        waiters.stopped(DirectorLink::closed);
        connections.closeAll(); // the current one, and one a director said GOAWAY on that still carried streams
    }

    public ConnectionState state() {
        boolean connected = current.isOpen();
        // while connected (to a director that said GOAWAY too), that director, not the address being dialled
        return new ConnectionState(connected, String.valueOf(connected ? current.address() : redials.current()),
                current.since(), reconnects.count(), redials.lastProblem());
    }

    /**
     * QUIC stream channels the client's connections hold now (any thread): the control stream, the client token
     * stream, and the generation streams in flight, plus any not yet released.
     */
    public int streamsHeld() {
        return connections.streamsHeld();
    }

    /**
     * Streams waiting (any thread) for the director's stream limit ({@code CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION})
     * to let them open: generations, and the rare status call.
     */
    public int streamsWaiting() {
        return streamsWaiting.get();
    }

    @Override
    public Duration heartbeatTimeout() {
        return settings.heartbeatTimeout();
    }

    /**
     * Whether new streams can open now. Not while the director said GOAWAY (or refused a stream with SHUTTING_DOWN)
     * and the client is moving to the next connection: a generation resumed meanwhile waits for it instead of being
     * refused here.
     */
    @Override
    public boolean isConnected() {
        return current.takesStreams();
    }

    /** A stream refused with SHUTTING_DOWN leaves its connection as GOAWAY does ({@link DirectorLeavingEvents}). */
    @Override
    public Leg open(GenerationRequest request, LegEvents events) {
        QuicChannel channel = current.channel();
        HostPort director = current.address();
        return current.streams().openLeg(request,
                new DirectorLeavingEvents(events, () -> refusedShuttingDown(channel, director)));
    }

    /** A stream on {@code channel} was refused with SHUTTING_DOWN: its director drains, whether it said GOAWAY yet. */
    private void refusedShuttingDown(QuicChannel channel, HostPort director) {
        if (running && current.isStaying(channel)) {
            LogLine.info(log).field("director.addr", director)
                    .log("director refused a stream: shutting down; leaving its connection");
            goingAway(channel);
        }
    }

    /** The last failed attempt to connect (address and cause), or that the client was never started. */
    @Override
    public String connectionProblem() {
        if (!running) {
            return "the client is not started (call SwapClient.start())";
        }
        return redials.lastProblem();
    }

    /**
     * Completes {@code connected} once connected (at once when it is), or fails it with {@code IllegalStateException(
     * "client is closed")} once stopped: at once when it is, else when it stops while the future waits. Loop only.
     */
    public void whenConnected(CompletableFuture<Void> connected) {
        if (stopped) {
            connected.completeExceptionally(closed());
        } else if (isConnected()) {
            connected.complete(null);
        } else {
            waiters.readinessCheck(connected);
        }
    }

    private static IllegalStateException closed() {
        return new IllegalStateException("client is closed");
    }

    @Override
    public ClientLoop.Cancellable awaitConnection(Runnable onConnected) {
        return waiters.await(onConnected);
    }

    /** Asks the director for its workers; fails at once when not connected. */
    public CompletableFuture<ClusterStatus> status(String requestedBy, Duration timeout) {
        CompletableFuture<ClusterStatus> result = new LoopFuture<>(loop);
        loop.execute(() -> {
            if (!current.isOpen()) {
                String problem = connectionProblem();
                result.completeExceptionally(new IllegalStateException("not connected to a director"
                        + (problem == null ? "" : ": " + problem)));
                return;
            }
            current.streams().status(requestedBy, timeout).whenComplete((status, failure) -> {
                if (failure != null) {
                    result.completeExceptionally(failure);
                } else {
                    result.complete(status);
                }
            });
        });
        return result;
    }

    private void connect() {
        // a retry scheduled before a connection came up (after a GOAWAY: by another path) has nothing to do
        if (!running || connecting || !current.wantsNext()) {
            return;
        }
        connecting = true;
        HostPort director = redials.dialNext();
        dialer.dial(director, new DirectorDialer.Attempt() {
            @Override
            public boolean wanted() {
                return running;
            }

            @Override
            public void dropped() {
                connecting = false;
            }

            @Override
            public void failed(String problem) {
                connecting = false;
                retryLater(director, problem);
            }

            @Override
            public void connected(QuicChannel channel, PeerClose peerClose, StreamOpener streams) {
                connecting = false;
                DirectorLink.this.connected(channel, director, peerClose, streams);
            }
        });
    }

    private void connected(QuicChannel channel, HostPort director, PeerClose peerClose, StreamOpener opener) {
        if (!running) {
            channel.close();
            return;
        }
        connections.add(channel);
        QuicChannel previous = current.replaceWith(channel, director);
        long failed = redials.connected();
        reconnects.connected(channel, director, previous, failed, redials.closedAtOnce());
        if (redials.closedAtOnce()) {
            redials.reportWhenItHolds(director, () -> current.channel() == channel && channel.isActive());
        }
        current.streams(DirectorStreams.open(channel, opener, settings, director, () -> goingAway(channel)));
        Instant since = current.since();
        channel.closeFuture().addListener(closed -> loop.execute(() -> lost(channel, director, since, peerClose)));
        waiters.connected(director);
    }

    /**
     * The director said GOAWAY on {@code channel} (or refused a stream with SHUTTING_DOWN): new streams and resumes
     * wait for the next connection ({@link #isConnected} is false meanwhile) and open there, those waiting for its
     * stream limit too ({@link StreamOpener#directorLeaving}), while the old one carries its streams until the director
     * ends them (with RETRY: they resume on the next one). With another address to go to, the client connects there
     * ({@link Redials#moveOn}). With a single address, the next connection comes when this one closes (the draining
     * director closes it once no generation is left on it, and every connection at its drain's timeout; a load
     * balancer behind that address then picks a ready director, or the director restarted behind it answers). A GOAWAY
     * within a heartbeat interval of the handshake (that director was draining already: every director may be, the
     * whole deployment stopping) moves on after the backoff, so that draining directors are not dialled in a tight
     * loop, each hop leaving a connection open until its drain ends.
     */
    private void goingAway(QuicChannel channel) {
        // a second GOAWAY on the connection being left (a drain's GOAWAY to every connection and the one to a control
        // stream that opened as it began) is no second move: it would skip the next address
        if (!running || !current.isStaying(channel)) {
            return;
        }
        current.leaving();
        reconnects.directorLeaving();
        current.streams().directorLeaving(); // its waiting streams open on the next connection
        if (connecting || !redials.severalAddresses()) {
            return;
        }
        redials.moveOn(current.since());
    }

    /**
     * The connection closed. After one that lived a heartbeat interval or more, the client reconnects at once (another
     * replica, when several are configured); one closed sooner is retried after the backoff
     * ({@link Redials#closedTooSoon}).
     */
    private void lost(QuicChannel channel, HostPort director, Instant since, PeerClose peerClose) {
        if (current.channel() != channel) {
            return;
        }
        boolean wasLeaving = current.isLeaving(channel);
        current.closed();
        if (!running) {
            return;
        }
        if (wasLeaving) {
            // the director that said GOAWAY closed its connection: the move to the next address began then, and is
            // under way (a dial, or a retry after the backoff); not another address to skip to. A connection that
            // served (a drain's, with one address) is progress, as below: the redials start from the first backoff
            if (redials.lived(since)) {
                redials.connectionLived();
            }
            if (!connecting) {
                connect();
            }
            return;
        }
        ReconnectCause cause = reconnects.lost(peerClose);
        String closedBy = peerClose.reason();
        if (redials.closedTooSoon(director, since, closedBy)) {
            return;
        }
        redials.connectionLived();
        redials.nextAddress();
        reconnects.logLost(director, cause, closedBy);
        connect();
    }

    /** Tries the next address after the backoff ({@link Redials#retryLater}). */
    private void retryLater(HostPort director, String problem) {
        if (running) {
            redials.retryLater(director, problem, problem);
        }
    }
}
