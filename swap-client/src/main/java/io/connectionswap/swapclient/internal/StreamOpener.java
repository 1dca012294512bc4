package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicStreams;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamLimitChangedEvent;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.event.Level;

/**
 * Opens every stream of one director connection within the director's stream limit
 * ({@code CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION}, QUIC's max bidirectional streams), as an HTTP/2 client keeps
 * within MAX_CONCURRENT_STREAMS: a stream past the limit waits, in the order asked, until the director gives credit
 * again (its MAX_STREAMS, once streams end), instead of failing. Netty's {@code createStream} does not wait: past the
 * limit it fails at once ({@code STREAM_LIMIT_ERROR}) and keeps the stream id it took, and since opening a stream
 * opens every lower id, each refused open would lower the connection's concurrency for good.
 *
 * <p>Netty counts the streams the director still allows ({@link QuicChannel#peerAllowedStreams}) down at each open
 * and reads the director's credit again only once it reached 0, at the next packet, then fires a
 * {@link QuicStreamLimitChangedEvent}: the waiting streams open then. It is the connection handler of each director
 * connection (from the dial on, so the event that follows the handshake, the first credit, is seen). A connection
 * that closes fails its waiting streams (a generation's then waits for the next connection, as one whose stream the
 * loss broke), and so does one whose director said GOAWAY ({@link #directorLeaving}): its streams may carry generations
 * until its drain's timeout, and a stream opened on it then would be refused anyway. Loop-confined (the connection's loop), except the count of waiting streams.
 */
final class StreamOpener extends ChannelInboundHandlerAdapter {

    /** A start of waiting is INFO at most this often per connection; DEBUG in between. */
    static final Duration INFO_INTERVAL = Duration.ofMinutes(1);

    private final HostPort director;
    /** Streams waiting for credit on every connection of the client (for its gauge). */
    private final AtomicInteger waitingOnTheClient;
    private final Set<Waiting> waiting = new LinkedHashSet<>();
    private QuicChannel connection;
    /** The current run of waits (from the first stream that waited to the last that opened), if any. */
    private long episodeStartNanos;
    private int episodeStreams;
    /** Whether the current run's start was logged (not the wait for the first credit). */
    private boolean episodeLogged;
    private long lastInfoNanos;
    private boolean infoLogged;
    /**
     * Whether the director's credit is known: Netty reads it first at the packet that completes the handshake, which
     * may come after the connection is reported up; the control stream asked for before then waits for it, which is
     * no limit reached.
     */
    private boolean creditKnown;
    /** The director said GOAWAY: no stream waits for its credit any more. */
    private boolean leaving;

    StreamOpener(HostPort director, AtomicInteger waitingOnTheClient) {
        this.director = director;
        this.waitingOnTheClient = waitingOnTheClient;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        connection = (QuicChannel) ctx.channel();
    }

    /**
     * Opens a bidirectional stream with {@code handler} now when the director allows it and no stream waits before it,
     * else once it does. Cancelling the returned future leaves the wait. Fails when the connection is closed, or closes
     * while it waits.
     */
    Future<QuicStreamChannel> open(ChannelHandler handler) {
        Promise<QuicStreamChannel> promise = connection.eventLoop().newPromise();
        if (!connection.isActive()) {
            return promise.setFailure(lost());
        }
        if (waiting.isEmpty() && hasCredit()) {
            creditKnown = true;
            return connection.createStream(QuicStreamType.BIDIRECTIONAL, handler, promise);
        }
        if (leaving) {
            return promise.setFailure(goingAway());
        }
        Waiting wait = new Waiting(handler, promise);
        if (waiting.isEmpty()) {
            episodeStarted();
        }
        waiting.add(wait);
        waitingOnTheClient.incrementAndGet();
        episodeStreams++;
        promise.addListener(done -> {
            if (done.isCancelled() && waiting.remove(wait)) {
                waitingOnTheClient.decrementAndGet();
                if (waiting.isEmpty()) {
                    episodeEnded();
                }
            }
        });
        return promise;
    }

    /** The connection's loop, where every method is called. */
    EventLoop loop() {
        return connection.eventLoop();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof QuicStreamLimitChangedEvent) {
            creditKnown = true;
            openWaiting();
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        failWaiting(lost());
        super.channelInactive(ctx);
    }

    /**
     * The director said GOAWAY (or refused a stream with SHUTTING_DOWN): the streams waiting for its credit, and any
     * that would wait from now on, fail at once, so that their generations open on the next connection instead of
     * waiting for a stream of the draining director to end. Streams within its credit still open (a status call).
     */
    void directorLeaving() {
        leaving = true;
        failWaiting(goingAway());
    }

    private void failWaiting(ClosedChannelException cause) {
        while (!waiting.isEmpty()) {
            Waiting next = take();
            next.promise().tryFailure(cause);
        }
    }

    private void openWaiting() {
        // a fresh look at the set each time: a stream's listener may ask for another stream meanwhile
        while (!waiting.isEmpty() && hasCredit() && connection.isActive()) {
            Waiting next = take();
            connection.createStream(QuicStreamType.BIDIRECTIONAL, next.handler(), next.promise());
        }
    }

    private Waiting take() {
        Waiting next = waiting.iterator().next();
        waiting.remove(next);
        waitingOnTheClient.decrementAndGet();
        if (waiting.isEmpty()) {
            episodeEnded();
        }
        return next;
    }

    private boolean hasCredit() {
        return connection.peerAllowedStreams(QuicStreamType.BIDIRECTIONAL) > 0;
    }

    private void episodeStarted() {
        long now = System.nanoTime();
        episodeStartNanos = now;
        episodeStreams = 0;
        episodeLogged = creditKnown;
        if (!episodeLogged) {
            return;
        }
        boolean info = !infoLogged || now - lastInfoNanos >= INFO_INTERVAL.toNanos();
        if (info) {
            infoLogged = true;
            lastInfoNanos = now;
        }
        LogLine.at(DirectorLink.log, info ? Level.INFO : Level.DEBUG).field("director.addr", director)
                .field("streams", QuicStreams.held(connection))
                .log("director's stream limit reached (CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION); new streams "
                        + "wait for streams to end");
    }

    private void episodeEnded() {
        if (!episodeLogged) {
            return;
        }
        LogLine.debug(DirectorLink.log).field("director.addr", director).field("queued", episodeStreams)
                .field("wait.duration", Duration.ofNanos(System.nanoTime() - episodeStartNanos))
                .log("no stream waits for the director's stream limit any more");
    }

    private static ClosedChannelException lost() {
        return notOpened("connection to the director lost");
    }

    private static ClosedChannelException goingAway() {
        return notOpened("director going away before the stream opened");
    }

    /** A stream that did not open, {@code problem} saying why ({@link #problem}). */
    private static ClosedChannelException notOpened(String problem) {
        ClosedChannelException notOpened = new ClosedChannelException();
        notOpened.initCause(new IllegalStateException(problem));
        return notOpened;
    }

    /** Why a stream asked for through {@link #open} did not open. */
    static String problem(Throwable cause) {
        return cause instanceof ClosedChannelException && cause.getCause() != null ? cause.getCause().getMessage()
                : "cannot open stream: " + cause;
    }

    /** A stream waiting for credit: its handler, and the future its opener holds. */
    private record Waiting(ChannelHandler handler, Promise<QuicStreamChannel> promise) {
    }
}
