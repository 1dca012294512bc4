package io.connectionswap.director.registry;

import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Connects instantly, or (while {@link #holdConnects}) leaves each attempt pending in {@link #pending} for the test to
 * fail; the test decides when a connection is lost.
 */
public final class FakeWorkerConnector implements WorkerConnector {

    final Map<String, FakeConnection> connections = new ConcurrentHashMap<>();
    final Queue<Promise<WorkerConnection>> pending = new ConcurrentLinkedQueue<>();
    final AtomicInteger attempts = new AtomicInteger();
    volatile boolean holdConnects;
    /** Runs inside each connect, on the registry's loop, before it returns: a dial that takes its time. */
    volatile Runnable duringConnect = () -> { };
    /**
     * While set, each connection is lost (on the registry's loop) right after it connected: a worker that completes
     * the handshake and then closes the connection (TLS 1.3: a client certificate it rejects is only seen after the
     * dialler's handshake completed).
     */
    volatile boolean loseAtOnce;
    private final EventLoop loop;

    public FakeWorkerConnector(EventLoop loop) {
        this.loop = loop;
    }

    @Override
    public Future<WorkerConnection> connect(WorkerEndpoint worker, InetSocketAddress remote, Consumer<String> onLost) {
        attempts.incrementAndGet();
        duringConnect.run();
        if (holdConnects) {
            Promise<WorkerConnection> attempt = loop.newPromise();
            pending.add(attempt);
            return attempt;
        }
        FakeConnection connection = new FakeConnection(onLost,
                worker.supports(io.connectionswap.protocol.message.WorkerRegistration.TOKEN_STREAM));
        connections.put(worker.label(), connection);
        if (loseAtOnce) {
            loop.execute(() -> connection.lose("connection closed"));
        }
        return loop.newSucceededFuture(connection);
    }

    static final class FakeConnection implements WorkerConnection {
        private final Consumer<String> onLost;
        /** As a real link: a token stream when the worker had registered the feature when it was dialled. */
        private final boolean tokenStream;
        volatile boolean up = true;
        volatile String closedWith;
        /** Relayed streams open on it: a test opens and closes them ({@link OpenStreams#opened}, {@code closed}). */
        final OpenStreams streams = new OpenStreams();
        /** Streams {@link #openStream} began to open on it (each stays opening: the test looks at where they go). */
        final AtomicInteger opening = new AtomicInteger();
        /** Runs as {@link #openStream} is called, before it opens anything: what happens meanwhile on other loops. */
        volatile Runnable beforeOpen = () -> { };
        /**
         * Runs once, as {@link #isUp} is next called: what another loop does between a routing loop's read of the
         * worker's link and its look at that link.
         */
        volatile Runnable beforeIsUp;

        FakeConnection(Consumer<String> onLost) {
            this(onLost, false);
        }

        FakeConnection(Consumer<String> onLost, boolean tokenStream) {
            this.onLost = onLost;
            this.tokenStream = tokenStream;
        }

        @Override
        public boolean tokenStream() {
            return tokenStream;
        }

        void lose(String reason) {
            up = false;
            onLost.accept(reason);
        }

        @Override
        public boolean isUp() {
            Runnable hook = beforeIsUp;
            if (hook != null) {
                beforeIsUp = null;
                hook.run();
            }
            return up;
        }

        /**
         * As a real link: a retired one refuses the stream (null), a closed one fails it, an open one starts opening it
         * (it stays opening).
         */
        @Override
        public Future<QuicStreamChannel> openStream(ChannelHandler initializer) {
            beforeOpen.run();
            return streams.open(() -> {
                if (!up) {
                    return ImmediateEventExecutor.INSTANCE.newFailedFuture(
                            new IllegalStateException("connection closed"));
                }
                opening.incrementAndGet();
                return ImmediateEventExecutor.INSTANCE.newPromise();
            });
        }

        @Override
        public void retire(Runnable whenNoStreams) {
            streams.retire(whenNoStreams);
        }

        /** Like a real link: closing it reports it lost with the reason. */
        @Override
        public void close(String reason) {
            closedWith = reason;
            lose(reason);
        }

        @Override
        public int streamsHeld() {
            return 0;
        }
    }
}
