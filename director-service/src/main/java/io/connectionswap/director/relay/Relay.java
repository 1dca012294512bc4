package io.connectionswap.director.relay;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.StreamOpening;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerFrames;
import io.connectionswap.director.registry.WorkerFailureListener;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.tracing.LegSpan;
import io.connectionswap.director.tracing.RelayTracing;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.PromptDigest;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.collection.LongObjectHashMap;
import io.netty.util.collection.LongObjectMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens relay sessions for the client streams of one routing loop ({@link StreamAdmission} lets them through or
 * refuses them) and moves them when their worker fails. Its {@link SessionWatch} finds hung workers and stalled
 * streams ({@link StallWatch}) and ends sessions past their limits. Everything runs on its loop; a failed worker is
 * heard of on the registry's loop and handled here on this one.
 */
public final class Relay implements WorkerFailureListener, SessionEvents, WorkerFrames {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    private final WorkerRegistry registry;
    private final EventLoop loop;
    private final DirectorProperties properties;
    private final LimitProperties limits;
    /** The limits of the frames on worker streams: a worker sends no request ({@link FrameLimits#withoutRequests}). */
    private final FrameLimits workerFrameLimits;
    private final DirectorMeters meters;
    /** Picks a new stream's worker, or refuses the stream before any worker is involved. */
    private final StreamAdmission admission;
    private final LongSupplier clock;
    private final Set<RelaySession> sessions = new LinkedHashSet<>();
    /** The same sessions by stream id: where a worker's token stream frames go ({@link #fromWorker}). */
    private final LongObjectMap<RelaySession> sessionsById = new LongObjectHashMap<>();
    private final Map<WorkerEndpoint, Set<RelaySession>> sessionsByWorker = new HashMap<>();
    private final PendingFirstTokens pendingSwaps = new PendingFirstTokens(TimeUnit.MINUTES.toNanos(5));
    private final PendingFirstTokens pendingFirstTokens = new PendingFirstTokens(TimeUnit.MINUTES.toNanos(5));
    private final SessionWatch watch;
    /** Stream ids for the logs, unique in the director: shared by the relays of every loop. */
    private final AtomicLong streamIds;
    private volatile int activeSessions;

    public Relay(WorkerRegistry registry, DirectorProperties properties, LimitProperties limits, FrameLimits frameLimits,
                 DirectorMeters meters) {
        this(registry, properties, limits, frameLimits, meters, (RelayTracing) null);
    }

    /** {@code tracing}: a span per leg, or null (tracing off: nothing but that null check per leg). */
    public Relay(WorkerRegistry registry, DirectorProperties properties, LimitProperties limits, FrameLimits frameLimits,
                 DirectorMeters meters, RelayTracing tracing) {
        this(registry, properties, limits, frameLimits, meters, tracing, System::nanoTime);
    }

    /** {@code clock} gives {@code System.nanoTime()}-like values for the swap gap and the time to first token. */
    public Relay(WorkerRegistry registry, DirectorProperties properties, LimitProperties limits, FrameLimits frameLimits,
                 DirectorMeters meters, LongSupplier clock) {
        this(registry, properties, limits, frameLimits, meters, null, clock);
    }

    public Relay(WorkerRegistry registry, DirectorProperties properties, LimitProperties limits, FrameLimits frameLimits,
                 DirectorMeters meters, RelayTracing tracing, LongSupplier clock) {
        this(registry.loop(), new AtomicLong(), registry, properties, limits, frameLimits, meters, tracing, clock);
    }

    /** The relay of routing loop {@code loop}; {@code streamIds} numbers the streams of every loop's relay. */
    public Relay(EventLoop loop, AtomicLong streamIds, WorkerRegistry registry, DirectorProperties properties,
                 LimitProperties limits, FrameLimits frameLimits, DirectorMeters meters, RelayTracing tracing,
                 LongSupplier clock) {
        this.loop = loop;
        this.streamIds = streamIds;
        this.clock = clock;
        this.registry = registry;
        this.properties = properties;
        this.workerFrameLimits = frameLimits.withoutRequests();
        this.limits = limits;
        this.meters = meters;
        this.admission = new StreamAdmission(registry, properties, limits, meters, tracing, clock);
        long periodNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), properties.stallMinimum().toNanos() / 2);
        this.watch = new SessionWatch(registry, sessions, new StallWatch(StallPolicy.of(properties)), limits, meters,
                periodNanos, this::expirePending, System::nanoTime);
        registry.onWorkerFailed(this);
    }

    /** Sessions running on this loop (any thread). */
    public int activeSessions() {
        return activeSessions;
    }

    public EventLoop loop() {
        return loop;
    }

    public void start() {
        watch.start(loop);
    }

    /**
     * The director stops: no more rounds of the watch, and every worker stream is ended (the workers stop generating).
     * Client streams go with their connections, which the server closes next; clients resume at another director.
     */
    public void stop() {
        watch.stop();
        loop.execute(() -> {
            for (RelaySession session : new ArrayList<>(sessions)) {
                session.directorStopping();
            }
        });
    }

    /**
     * The director drains: from now on every new stream is answered with a SHUTTING_DOWN error carrying {@code why}
     * (the client opens it at another director), and every running generation ends with RETRY (reason
     * {@code director_drain}) at its last relayed token. Returns how many generations were asked to move. Routing
     * loop only.
     */
    public int drain(String why) {
        admission.refuseAll(why);
        int moved = 0;
        for (RelaySession session : new ArrayList<>(sessions)) {
            if (session.directorDraining(why)) {
                moved++;
            }
        }
        return moved;
    }

    /** Ids of the client connections with a running session (the drain closes those without). Its loop. */
    public Set<String> connectionsWithSessions() {
        Set<String> busy = new HashSet<>();
        for (RelaySession session : sessions) {
            busy.add(session.connectionId());
        }
        return busy;
    }

    /** A client asked for a generation (or to resume one) on {@code client}. Returns the session, or null. */
    public RelaySession open(QuicStreamChannel client, String connectionId, GenerationRequest request) {
        return open(client, connectionId, request, null);
    }

    /**
     * {@link #open(QuicStreamChannel, String, GenerationRequest)} on a connection whose client token stream goes on
     * {@code tokenStream} (the stream the client opened for it, or, for an older client, its control stream; null:
     * none yet): a request that asks for the client token stream has its frames sent there when this director allows
     * it ({@code CONNECTION_SWAP_CLIENT_TOKEN_STREAM}), else on {@code client}.
     */
    public RelaySession open(QuicStreamChannel client, String connectionId, GenerationRequest request,
                             QuicStreamChannel tokenStream) {
        long openedNanos = clock.getAsLong();
        long streamId = streamIds.incrementAndGet();
        LogLine.info(log).field("stream.id", streamId).field("connection.id", connectionId)
                .field("generation.id", request.generationId()).field("prompt", PromptDigest.of(request.promptText()))
                .field("resume.after", request.resumeAfter()).log("client opened stream");
        StreamAdmission.Admitted admitted = admission.admit(streamId, client, connectionId, request, tokenStream);
        if (admitted == null) {
            return null;
        }
        WorkerEndpoint worker = admitted.worker();
        ClientTokenStream tokens = admitted.tokens();
        LegSpan span = admitted.span();
        boolean resumed = admitted.resumed();
        LogLine.info(log).field("stream.id", streamId).field("connection.id", connectionId)
                .field("worker.addr", worker.address()).field("worker.label", worker.label())
                .field("client.token.stream", tokens != null).log("assigning stream to worker");
        if (span != null) {
            span.assigned(worker.label(), worker.address().toString());
        }
        // the worker's span is a child of this leg's
        GenerationRequest handedOver = span == null ? request : request.withTraceparent(span.traceparent());
        ClientSide clientSide = tokens != null ? QuicStreamSides.taggedClient(client, tokens)
                : QuicStreamSides.client(client, properties.coalesceSends(), limits.slowClientTimeout(), meters);
        RelaySession session = new RelaySession(streamId, connectionId, clientSide, handedOver, worker, this,
                properties.migrationLimit(), span);
        sessions.add(session);
        if (tokens != null) {
            tokens.add(session);
        }
        sessionsById.put(streamId, session);
        sessionsByWorker.computeIfAbsent(worker, key -> new LinkedHashSet<>()).add(session);
        worker.streamStarted();
        activeSessions = sessions.size();
        meters.streamStarted(resumed);
        if (tokens != null) {
            meters.streamOnClientTokenStream();
        }
        if (!resumed) {
            pendingFirstTokens.waitingSince(request.generationId(), openedNanos);
        }
        StreamOpening opening = registry.openStream(worker, new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.rawFrames(stream, workerFrameLimits, new WorkerStreamHandler(session));
            }
        });
        // the kind of the link the stream is on: the worker's link may be another one by the time it is open
        boolean workerTokenStream = opening.tokenStream();
        opening.stream().addListener(opened -> {
            if (opened.isSuccess()) {
                session.workerStreamOpened(QuicStreamSides.worker((QuicStreamChannel) opened.getNow(),
                        workerTokenStream));
            } else if (session.workerStreamFailed(opened.cause())) {
                meters.noHealthyWorker(); // the client was refused as when no worker is healthy
            }
        });
        return session;
    }

    /**
     * A frame of the generation relayed as {@code streamId}, from {@code worker}'s token stream on this loop: to its
     * session. Dropped when the session has ended (frames of a leg that moved or finished) or is another worker's.
     */
    @Override
    public void fromWorker(WorkerEndpoint worker, long streamId, RawFrame frame) {
        RelaySession session = sessionsById.get(streamId);
        if (session == null || session.worker() != worker) {
            frame.release();
            return;
        }
        session.fromWorker(frame);
    }

    /** Moves this loop's sessions on {@code worker}; heard on the registry's loop, done on this one. */
    @Override
    public void workerFailed(WorkerEndpoint worker, String reason, String detail) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> workerFailed(worker, reason, detail));
            return;
        }
        Set<RelaySession> onWorker = sessionsByWorker.get(worker);
        if (onWorker == null) {
            return;
        }
        for (RelaySession session : new ArrayList<>(onWorker)) {
            session.swap(reason, detail);
        }
    }

    @Override
    public void sessionEnded(RelaySession session) {
        if (!sessions.remove(session)) {
            return;
        }
        sessionsById.remove(session.streamId());
        ClientTokenStream tokens = session.clientTokenStream();
        if (tokens != null) {
            tokens.remove(session);
        }
        WorkerEndpoint worker = session.worker();
        Set<RelaySession> onWorker = sessionsByWorker.get(worker);
        if (onWorker != null && onWorker.remove(session) && onWorker.isEmpty()) {
            sessionsByWorker.remove(worker);
        }
        worker.streamEnded();
        activeSessions = sessions.size();
    }

    @Override
    public void swapped(RelaySession session, String reason) {
        meters.swapped(reason, session.worker().label());
        pendingSwaps.waitingSince(session.generationId(), clock.getAsLong());
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
        registry.drain(session.worker(), detail);
    }

    @Override
    public void generationFinished(RelaySession session, DirectorMeters.Finish finish) {
        meters.generationFinished(finish);
        if (finish == DirectorMeters.Finish.ERROR) {
            pendingFirstTokens.forget(session.generationId()); // ended before its first token: no time to record
        }
    }

    /** Per token: one counter increment; the first token of a leg also ends a swap gap or a time to first token. */
    @Override
    public void tokenRelayed(RelaySession session, boolean firstOfSession) {
        meters.tokenRelayed();
        if (firstOfSession) {
            long now = clock.getAsLong();
            long gap = pendingSwaps.firstTokenArrived(session.generationId(), now);
            if (gap >= 0) {
                meters.swapGap(gap);
            }
            if (session.resumeAfter() == 0) { // the generation's first token: new, or resumed before any token
                long firstToken = pendingFirstTokens.firstTokenArrived(session.generationId(), now);
                if (firstToken >= 0) {
                    meters.timeToFirstToken(firstToken);
                }
            }
        }
    }

    private void expirePending() {
        long now = clock.getAsLong();
        pendingSwaps.expire(now);
        pendingFirstTokens.expire(now);
    }
}
