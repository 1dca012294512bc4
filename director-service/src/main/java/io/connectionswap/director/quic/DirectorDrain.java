package io.connectionswap.director.quic;

import io.connectionswap.director.relay.Relay;
import io.connectionswap.director.relay.Relays;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.GoAway;
import io.connectionswap.protocol.quic.Peers;
import io.connectionswap.protocol.quic.QuicStreams;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The director's shutdown as a drain (the order of Armeria's {@code GracefulShutdownSupport} and {@code Server}):
 * <ol>
 *   <li>readiness goes down ({@link #draining()}; the QUIC server's health turns OUT_OF_SERVICE), and every new
 *       client stream is answered with a SHUTTING_DOWN error: open it at another director;</li>
 *   <li>every client connection gets {@link GoAway} on its control stream (a client that knows several director
 *       addresses connects to the next one at once; a connection whose control stream opens later gets it then);</li>
 *   <li>every running generation ends with RETRY ({@code director_drain}) at its last relayed token, right after
 *       the GOAWAY: the client holds the resume until its next connection is up (another director, or with a single
 *       address the one behind it once this director closed the connection), then resumes there after that token; the worker stream here is ended, so the worker stops;</li>
 *   <li>the director waits, at most {@code timeout}, for the connections it had when the drain began to empty: a
 *       connection with no generation and no stream left but its control stream (the clients' FINs show they read
 *       the RETRY) is closed at once with SHUTTING_DOWN. Connections opened during the drain are only closed at the
 *       end, so a client with a single director address does not reconnect to this director in a loop;</li>
 *   <li>then every remaining connection (clients and worker registrations) is closed, and {@code closed} runs.</li>
 * </ol>
 * Each step is one log line. Everything after {@link #start} runs on the registry's loop, but what a routing loop owns:
 * each relay drains its sessions on its loop, and a connection is judged idle and closed on its own loop.
 */
final class DirectorDrain {

    private static final Logger log = LoggerFactory.getLogger(DirectorDrain.class);
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final String directorId;
    private final Duration timeout;
    private final EventLoop loop;
    private final Relays relays;
    private final Supplier<Collection<QuicChannel>> clients;
    private final Supplier<Collection<QuicChannel>> all;
    private volatile boolean draining;
    private final Set<QuicChannel> waitingFor = new LinkedHashSet<>();
    private ScheduledFuture<?> tick;
    private ScheduledFuture<?> deadline;
    private long startedNanos;
    private Runnable closed;

    DirectorDrain(String directorId, Duration timeout, EventLoop loop, Relays relays,
                  Supplier<Collection<QuicChannel>> clients, Supplier<Collection<QuicChannel>> all) {
        this.directorId = directorId;
        this.timeout = timeout;
        this.loop = loop;
        this.relays = relays;
        this.clients = clients;
        this.all = all;
    }

    /** Whether the drain has begun (readiness is down); any thread. */
    boolean draining() {
        return draining;
    }

    /** Begins the drain; {@code closed} runs on the routing loop once every connection is closed. Any thread. */
    void start(Runnable closed) {
        draining = true;
        loop.execute(() -> begin(closed));
    }

    /** A client connection's control stream became known: during the drain it gets GOAWAY at once. Routing loop. */
    void controlStreamOpened(QuicStreamChannel stream) {
        if (draining) {
            goAway(stream);
        }
    }

    private void begin(Runnable whenClosed) {
        closed = whenClosed;
        startedNanos = System.nanoTime();
        Collection<QuicChannel> open = clients.get();
        LogLine.info(log).field("director.id", directorId).field("connections", open.size())
                .field("streams", relays.activeSessions()).field("drain.timeout", timeout)
                .log("director draining; readiness down, new streams refused");
        String why = "director " + directorId + " is shutting down; open the stream at another director";
        int told = 0;
        for (QuicChannel connection : open) {
            waitingFor.add(connection);
            QuicStreamChannel control = ControlStreams.of(connection);
            if (control != null) {
                goAway(control);
                told++;
            }
        }
        LogLine.info(log).field("director.id", directorId).field("connections", open.size())
                .field("without.control.stream", open.size() - told).log("sent goaway to clients");
        // the timeout counts from here, whatever the routing loops do: one that is stuck never reports its relay
        // drained, and the drain must end all the same
        deadline = loop.schedule(() -> finish(false), timeout.toNanos(), TimeUnit.NANOSECONDS);
        relays.drain(why, loop).addListener(drained -> {
            if (closed == null) {
                return; // timed out before every relay had drained
            }
            LogLine.info(log).field("director.id", directorId).field("streams", drained.getNow())
                    .log("ended generations with retry at their last token; clients resume at another director");
            tick = loop.scheduleAtFixedRate(this::closeIdle, 0, TICK_NANOS, TimeUnit.NANOSECONDS);
        });
    }

    private void goAway(QuicStreamChannel control) {
        control.writeAndFlush(new GoAway(directorId, "shutting down")).addListener(written -> {
            if (!written.isSuccess()) {
                LogLine.debug(log).field("connection.id", ConnectionIds.of(control))
                        .quoted("problem", written.cause().toString()).log("could not send goaway");
            }
        });
    }

    /**
     * Has every connection of the drain's start that has nothing left to move closed, each loop judging its own in one
     * pass; finishes when none of them is open.
     */
    private void closeIdle() {
        if (closed == null) {
            return;
        }
        waitingFor.removeIf(connection -> !connection.isActive());
        Map<EventLoop, List<QuicChannel>> byLoop = new HashMap<>();
        for (QuicChannel connection : waitingFor) {
            byLoop.computeIfAbsent(connection.eventLoop(), key -> new ArrayList<>()).add(connection);
        }
        byLoop.forEach((connectionLoop, connections) ->
                connectionLoop.execute(() -> closeIdle(relays.of(connectionLoop), connections)));
        if (waitingFor.isEmpty()) {
            finish(true);
        }
    }

    /** On the loop of {@code relay} and {@code connections}, where their sessions are. */
    private void closeIdle(Relay relay, List<QuicChannel> connections) {
        Set<String> busy = relay.connectionsWithSessions();
        for (QuicChannel connection : connections) {
            if (connection.isActive() && idle(connection, busy)) {
                LogLine.debug(log).field("connection.id", ConnectionIds.of(connection))
                        .field("peer", Peers.address(connection)).log("connection has no generation left; closing it");
                close(connection, "director " + directorId + " is shutting down; its generations moved");
            }
        }
    }

    private static boolean idle(QuicChannel connection, Set<String> busy) {
        if (busy.contains(ConnectionIds.of(connection))) {
            return false;
        }
        int held = QuicStreams.held(connection);
        if (held < 0) {
            return true; // Netty's stream map cannot be read: no session is enough
        }
        return held - ControlStreams.kept(connection) <= 0;
    }

    private void finish(boolean allMoved) {
        if (closed == null) {
            return;
        }
        Runnable done = closed;
        closed = null;
        if (tick != null) {
            tick.cancel(false);
        }
        deadline.cancel(false);
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
        Collection<QuicChannel> remaining = all.get();
        if (allMoved) {
            LogLine.info(log).field("director.id", directorId).field("waited.ms", waitedMillis)
                    .field("connections", remaining.size()).log("drain complete; closing remaining connections");
        } else {
            LogLine.warn(log).field("director.id", directorId).field("waited.ms", waitedMillis)
                    .field("drain.timeout", timeout).field("clients.left", waitingFor.size())
                    .field("streams", relays.activeSessions()).log("drain timed out; closing remaining connections");
        }
        waitingFor.clear();
        for (QuicChannel connection : remaining) {
            close(connection, "director " + directorId + " is shutting down");
        }
        done.run();
    }

    private static void close(QuicChannel connection, String reason) {
        connection.close(true, ErrorCode.SHUTTING_DOWN.code(),
                Unpooled.wrappedBuffer(reason.getBytes(StandardCharsets.UTF_8)));
    }
}
