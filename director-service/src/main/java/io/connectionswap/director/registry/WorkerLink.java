package io.connectionswap.director.registry;

import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.TokenStream;
import io.connectionswap.protocol.quic.LoopTasks;
import io.connectionswap.protocol.quic.Peers;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicStreams;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.PromiseNotifier;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The director's pooled QUIC connections to one worker (mutual TLS: the director presents its certificate and
 * verifies the worker's). Relayed streams to the worker are spread over them in turn; a heartbeat stream on each
 * watches it (and keeps it from the idle timeout while it carries no stream), and each connection's UDP socket is
 * connected so a dead worker process is noticed at the next packet. The link is up while every connection is; when
 * one closes or misses its heartbeat echoes, the link closes them all and is lost.
 *
 * <p>Why several: Netty's QUIC codec walks every writable stream of a connection for each datagram the connection
 * receives ({@code QuicheQuicChannel.handleWritableStreams}: a JNI call per stream), so the cost of one relayed token
 * grows with the streams its worker connection carries. Spreading a worker's streams over a few connections divides
 * that walk ({@code CONNECTION_SWAP_WORKER_LINK_CONNECTIONS}; bench/README measures it).
 *
 * <p>With several routing loops the connections are shared among them, at least one each: a stream is opened on a
 * connection of the loop that asks, so a relay session's two streams are on one thread.
 *
 * <p>With a token stream (the worker registered the feature and {@code CONNECTION_SWAP_WORKER_TOKEN_STREAM} is on),
 * each connection has a second stream, opened with a {@link TokenStream} message, that carries the CONNECTED,
 * TOKEN and END frames of the generations on that connection, tagged with their stream ids ({@link
 * TokenStreamRouter}): the quiche inside Netty puts one stream in a packet, so a token on its generation's own stream
 * costs a datagram of its own, while the tokens of many generations on one stream share datagrams (bench/README,
 * "The floor of a relay").
 */
final class WorkerLink implements WorkerConnection {

    private final List<QuicChannel> connections;
    private final List<LoopShare> shares;
    private final boolean tokenStream;
    /** The relayed streams open on it (not its heartbeat and token streams). */
    private final OpenStreams relayed = new OpenStreams();
    private final LinkLoss loss;

    private WorkerLink(List<QuicChannel> connections, boolean tokenStream) {
        this.connections = List.copyOf(connections);
        this.tokenStream = tokenStream;
        this.loss = new LinkLoss(this.connections);
        Map<EventLoop, List<QuicChannel>> byLoop = new LinkedHashMap<>();
        for (QuicChannel connection : connections) {
            byLoop.computeIfAbsent(connection.eventLoop(), loop -> new ArrayList<>()).add(connection);
        }
        List<LoopShare> built = new ArrayList<>(byLoop.size());
        byLoop.forEach((loop, own) -> built.add(new LoopShare(loop, own)));
        this.shares = List.copyOf(built);
    }

    /** How many of {@code count} connections connector {@code index} of {@code connectors} opens: shared, at least 1. */
    static int share(int count, int connectors, int index) {
        return Math.max(1, count / connectors + (index < count % connectors ? 1 : 0));
    }

    /**
     * Opens {@code count} connections, shared among {@code connectors} (one per routing loop, each opening sockets on
     * its loop; at least one each); {@code onLost} runs once (on {@code loop}, the registry's) when any of them closes
     * for any reason or the heartbeat misses its echoes, {@code onEcho} at every heartbeat echo (the worker process
     * is alive; on the connection's loop). Fails, closing what did connect, when any connection fails.
     * {@code tokens}: each connection's heartbeat stream is also its token stream, whose frames go there (null: no
     * token stream, every generation's frames come on its own stream).
     */
    static Future<WorkerLink> connect(List<QuicConnector> connectors, EventLoop loop, InetSocketAddress remote,
                                      String tlsName, FrameLimits frameLimits, Duration heartbeatInterval,
                                      Duration heartbeatTimeout, int count, Consumer<String> onLost,
                                      LongConsumer onEcho, TokenStreamFrames tokens) {
        Promise<WorkerLink> result = loop.newPromise();
        List<Future<QuicChannel>> attempts = new ArrayList<>(count);
        for (int c = 0; c < connectors.size(); c++) {
            for (int i = 0; i < share(count, connectors.size(), c); i++) {
                attempts.add(connectors.get(c).connect(remote, tlsName, PeerClose.connectionHandler(), null));
            }
        }
        int[] pending = {attempts.size()};
        for (Future<QuicChannel> attempt : attempts) {
            // an attempt cut short by the director's stop may end after the registry's loop stopped: no one to tell
            attempt.addListener(done -> LoopTasks.executeUnlessStopped(loop, () -> {
                if (--pending[0] == 0) {
                    established(attempts, loop, frameLimits, heartbeatInterval, heartbeatTimeout, onLost, onEcho,
                            tokens, result);
                }
            }));
        }
        return result;
    }

    private static void established(List<Future<QuicChannel>> attempts, EventLoop loop, FrameLimits frameLimits,
                                    Duration heartbeatInterval, Duration heartbeatTimeout, Consumer<String> onLost,
                                    LongConsumer onEcho, TokenStreamFrames tokens, Promise<WorkerLink> result) {
        List<QuicChannel> connected = new ArrayList<>(attempts.size());
        Throwable failure = null;
        for (Future<QuicChannel> attempt : attempts) {
            if (attempt.isSuccess()) {
                connected.add(attempt.getNow());
            } else if (failure == null) {
                failure = attempt.cause();
            }
        }
        if (failure == null) {
            failure = notAWorker(connected);
        }
        if (failure != null) {
            connected.forEach(QuicChannel::close);
            result.setFailure(failure);
            return;
        }
        WorkerLink link = new WorkerLink(connected, tokens != null);
        for (LoopShare share : link.shares) {
            // each connection its own heartbeat: it watches that connection, and keeps it from the idle timeout while
            // it carries no stream. The connections of one routing loop take turns, so each loop still hears from the
            // worker every interval (an echo read on either loop is a sign of life, and one loop may be busy) while
            // sending one heartbeat per interval instead of one per connection: the ones sent at the same moment on
            // one loop told nothing more, and each cost a wake-up, a send, a receive and an acknowledgement
            HeartbeatTurns turns = HeartbeatTurns.of(heartbeatInterval, heartbeatTimeout, share.connections.size());
            for (int i = 0; i < share.connections.size(); i++) {
                QuicChannel connection = share.connections.get(i);
                // at shutdown the registry's loop may stop before this connection's: nothing to report then
                connection.closeFuture().addListener(closed -> LoopTasks.executeUnlessStopped(loop,
                        () -> link.loss.connectionClosed(connection, onLost)));
                LinkStreams.openHeartbeatStream(connection, link, frameLimits, turns, turns.offset(i), onEcho);
                if (tokens != null) {
                    LinkStreams.openTokenStream(connection, link, frameLimits, tokens);
                }
            }
        }
        result.setSuccess(link);
    }

    /** A failure when a connection's peer did not present the worker certificate, else null. */
    private static Throwable notAWorker(List<QuicChannel> connected) {
        for (QuicChannel connection : connected) {
            if (!WorkerCertificate.presentedBy(connection)) {
                return new SSLPeerUnverifiedException("the peer at " + Peers.address(connection)
                        + " is no worker: it presented " + WorkerCertificate.presentedInstead(connection)
                        + ", a worker presents CN=" + WorkerCertificate.NAME + " (signed by the director's CA)");
            }
        }
        return null;
    }

    /** The worker whose token streams a link opens, and where their frames go. */
    record TokenStreamFrames(WorkerEndpoint worker, WorkerFrames frames) {
    }

    @Override
    public boolean closedByWorkerShuttingDown() {
        return loss.closedByWorkerShuttingDown();
    }

    @Override
    public boolean isUp() {
        for (QuicChannel connection : connections) {
            if (!connection.isActive()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Opens a bidirectional stream to the worker with {@code handler}, on the next connection in turn of the calling
     * routing loop's share that has stream credit (from another thread: of the first loop's share, chosen on that
     * loop); null once the link is retired. Fails at once with {@link StreamLimitReachedException} when none of them
     * has credit: Netty's codec does not wait for credit, and an open quiche refuses costs a stream id, which is
     * credit the worker never gives back (QUIC opens every lower id with a stream), so such an open is never tried.
     */
    @Override
    public Future<QuicStreamChannel> openStream(ChannelHandler handler) {
        return relayed.open(() -> {
            LoopShare share = callingShare();
            if (share != null) {
                return open(share, handler);
            }
            LoopShare first = shares.get(0);
            Promise<QuicStreamChannel> opened = first.loop.newPromise();
            try {
                first.loop.execute(() -> PromiseNotifier.cascade(open(first, handler), opened));
            } catch (RejectedExecutionException stopped) {
                return ImmediateEventExecutor.INSTANCE.newFailedFuture(stopped);
            }
            return opened;
        });
    }

    private Future<QuicStreamChannel> open(LoopShare share, ChannelHandler handler) {
        QuicChannel connection = share.nextWithCredit();
        if (connection == null) {
            return share.loop.newFailedFuture(new StreamLimitReachedException(share.connections.size(),
                    streamsHeld()));
        }
        return connection.createStream(QuicStreamType.BIDIRECTIONAL, handler);
    }

    /** Streams the calling routing loop may open now (from another thread: the first loop's, read from afar). */
    @Override
    public long streamCredit() {
        LoopShare share = callingShare();
        return (share != null ? share : shares.get(0)).credit();
    }

    @Override
    public boolean streamCreditOnEveryLoop() {
        for (LoopShare share : shares) {
            if (share.credit() <= 0) {
                return false;
            }
        }
        return true;
    }

    /** The share of the routing loop this runs on, or null on another thread. */
    private LoopShare callingShare() {
        for (LoopShare share : shares) {
            if (share.loop.inEventLoop()) {
                return share;
            }
        }
        return null;
    }

    @Override
    public void retire(Runnable whenNoStreams) {
        relayed.retire(whenNoStreams);
    }

    @Override
    public int streamsHeld() {
        int held = 0;
        for (QuicChannel connection : connections) {
            int one = QuicStreams.held(connection);
            if (one < 0) {
                return -1;
            }
            held += one;
        }
        return held;
    }

    @Override
    public int connections() {
        return connections.size();
    }

    @Override
    public boolean tokenStream() {
        return tokenStream;
    }

    @Override
    public void close(String reason) {
        loss.close(reason);
    }
}
