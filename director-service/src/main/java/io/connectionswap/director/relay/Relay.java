package io.connectionswap.director.relay;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerFailureListener;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamFailures;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens relay sessions for client streams and moves them when their worker fails. Its {@link SessionWatch} finds
 * hung workers and stalled streams ({@link StallWatch}) and ends sessions past their limits. Routing loop only.
 */
public final class Relay implements WorkerFailureListener, SessionEvents {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    private final WorkerRegistry registry;
    private final DirectorProperties properties;
    private final LimitProperties limits;
    private final FrameLimits frameLimits;
    private final DirectorMeters meters;
    private final Set<RelaySession> sessions = new LinkedHashSet<>();
    private final PendingSwaps pendingSwaps = new PendingSwaps(TimeUnit.MINUTES.toNanos(5));
    private final SessionWatch watch;
    private long nextStreamId;
    private volatile int activeSessions;

    public Relay(WorkerRegistry registry, DirectorProperties properties, LimitProperties limits, FrameLimits frameLimits,
                 DirectorMeters meters) {
        this.registry = registry;
        this.properties = properties;
        this.limits = limits;
        this.frameLimits = frameLimits;
        this.meters = meters;
        long periodNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), properties.stallMinimum().toNanos() / 2);
        this.watch = new SessionWatch(registry, sessions, new StallWatch(StallPolicy.of(properties)), limits, meters,
                periodNanos, () -> pendingSwaps.expire(System.nanoTime()));
        registry.onWorkerFailed(this);
    }

    public int activeSessions() {
        return activeSessions;
    }

    public void start() {
        watch.start();
    }

    /**
     * The director stops: no more rounds of the watch, and every worker stream is ended (the workers stop generating).
     * Client streams go with their connections, which the server closes next; clients resume at another director.
     */
    public void stop() {
        watch.stop();
        registry.loop().execute(() -> {
            for (RelaySession session : new ArrayList<>(sessions)) {
                session.directorStopping();
            }
        });
    }

    /** A client asked for a generation (or to resume one) on {@code client}. Returns the session, or null. */
    public RelaySession open(QuicStreamChannel client, String connectionId, GenerationRequest request) {
        long streamId = ++nextStreamId;
        log.info("stream.id={} connection.id={} generation.id={} prompt={} resume.after={} client opened stream",
                streamId, connectionId, request.generationId(), request.promptText(), request.resumeAfter());
        if (request.maxTokens() > limits.maxTokens()) {
            meters.limitHit(DirectorMeters.Limit.MAX_TOKENS);
            log.warn("stream.id={} connection.id={} max.tokens={} limit={} request asks for too many tokens", streamId,
                    connectionId, request.maxTokens(), limits.maxTokens());
            StreamFailures.endStream(client, new StreamError(ErrorCode.BAD_REQUEST, "maxTokens " + request.maxTokens()
                    + " is above this director's limit of " + limits.maxTokens()
                    + " (CONNECTION_SWAP_MAX_TOKENS_LIMIT)"));
            return null;
        }
        WorkerEndpoint worker = registry.pick(request.avoidWorker(), request.model());
        // with no worker registered at all (e.g. a director that just restarted, before the workers' registrations
        // are back) nothing is known about models: NO_HEALTHY_WORKER (the client waits and asks again), not a final
        // MODEL_NOT_FOUND (found by the chaos soak: 172 generations lost at a director restart)
        if (worker == null && registry.size() > 0 && !registry.anyServes(request.model())) {
            log.warn("stream.id={} connection.id={} model={} workers={} no worker serves the model", streamId,
                    connectionId, request.model(), registry.size());
            StreamFailures.endStream(client, new StreamError(ErrorCode.MODEL_NOT_FOUND, "no worker serves model '"
                    + request.model() + "'"));
            return null;
        }
        if (worker == null) {
            meters.noHealthyWorker();
            log.warn("stream.id={} connection.id={} workers={} no healthy worker for stream", streamId, connectionId,
                    registry.size());
            StreamFailures.endStream(client, new StreamError(ErrorCode.NO_HEALTHY_WORKER,
                    "no healthy worker (" + registry.size() + " registered); retry later"));
            return null;
        }
        log.info("stream.id={} connection.id={} worker.addr={} worker.label={} assigning stream to worker", streamId,
                connectionId, worker.address(), worker.label());
        RelaySession session = new RelaySession(streamId, connectionId, QuicStreamSides.client(client), request, worker,
                this, properties.migrationLimit());
        sessions.add(session);
        worker.sessionStarted(session);
        activeSessions = sessions.size();
        registry.openStream(worker, new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.rawFrames(stream, frameLimits, new WorkerStreamHandler(session));
            }
        }).addListener(opened -> {
            if (opened.isSuccess()) {
                session.workerStreamOpened(QuicStreamSides.worker((QuicStreamChannel) opened.getNow()));
            } else {
                session.workerStreamFailed(opened.cause());
            }
        });
        return session;
    }

    @Override
    public void workerFailed(WorkerEndpoint worker, String reason, String detail) {
        List<RelaySession> affected = new ArrayList<>(worker.sessions());
        for (RelaySession session : affected) {
            session.swap(reason, detail);
        }
    }

    @Override
    public void sessionEnded(RelaySession session) {
        sessions.remove(session);
        session.worker().sessionEnded(session);
        activeSessions = sessions.size();
    }

    @Override
    public void swapped(RelaySession session, String reason) {
        meters.swapped(reason, session.worker().label());
        pendingSwaps.detected(session.generationId(), System.nanoTime());
    }

    @Override
    public void migrationLimitReached(RelaySession session, String reason) {
        meters.migrationLimitReached(reason);
    }

    @Override
    public void requestFailed(RelaySession session, ErrorCode code) {
        meters.requestError(code);
    }

    @Override
    public void workerDraining(RelaySession session, String detail) {
        registry.drain(session.worker(), "refused a hand-off: " + detail);
    }

    @Override
    public void tokenRelayed(RelaySession session, boolean firstOfSession) {
        meters.tokenRelayed();
        if (firstOfSession) {
            long gap = pendingSwaps.firstTokenArrived(session.generationId(), System.nanoTime());
            if (gap >= 0) {
                meters.swapGap(gap);
            }
        }
    }

    /** Receives the worker's side of one session. */
    private static final class WorkerStreamHandler extends ChannelInboundHandlerAdapter {
        private final RelaySession session;

        WorkerStreamHandler(RelaySession session) {
            this.session = session;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof RawFrame frame) {
                session.fromWorker(frame);
            } else {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            session.flushClient();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent) {
                session.workerStreamEnded("worker closed the stream before END");
                // our FIN too if not sent yet; with both FINs Netty closes and releases the stream
                QuicStreams.finish((QuicStreamChannel) ctx.channel());
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            session.workerStreamEnded("worker stream closed before END");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
            if (cause instanceof QuicStreamResetException reset) {
                session.workerStreamEnded("worker reset the stream (code " + reset.applicationProtocolCode() + ")");
                QuicStreams.peerReset(stream);
            } else {
                session.workerStreamEnded("bad frame from worker: " + StreamFailures.describe(cause));
                QuicStreams.abort(stream, StreamFailures.codeOf(cause));
            }
        }
    }
}
