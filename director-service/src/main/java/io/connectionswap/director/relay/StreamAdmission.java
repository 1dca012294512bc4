package io.connectionswap.director.relay;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.tracing.LegOutcome;
import io.connectionswap.director.tracing.LegSpan;
import io.connectionswap.director.tracing.RelayTracing;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.quic.ConnectionProblems;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Admits a client's new stream to a worker, or refuses it before any worker is involved (the director drains, the
 * request asks too much, no worker serves its model, none is healthy), each refusal with its meter, its log line and
 * its ERROR frame; an admitted stream also has its client token stream chosen. A {@link Relay}'s, on its routing loop.
 */
final class StreamAdmission {

    /** The relay's logger: the lines, and their per-connection throttling (keyed by the logger's name), are its own. */
    private static final Logger log = LoggerFactory.getLogger(Relay.class);
    /** The WARN reminder of an outage's refusals ("no healthy worker for stream"), with their count. */
    private static final Duration NO_WORKER_REMINDER = Duration.ofSeconds(10);
    /** The outages remembered at once: one per model registered, and that of every worker. */
    private static final int OUTAGES_REMEMBERED = 64;
    /** The key of an outage of every worker (or of a model no worker named). */
    private static final String ALL_WORKERS = "";
    /**
     * Unknown model names whose refusals each get their own WARN on a connection; the refusals for further names share
     * one (a client sending a new name every time must not get a line, nor memory, per name).
     */
    private static final int MODELS_TOLD_APART = 16;
    /** The per-connection problem of a client token stream that cannot take more. */
    private static final String TOKEN_STREAM_FULL = "client-token-stream-full";

    private final WorkerRegistry registry;
    private final DirectorProperties properties;
    private final LimitProperties limits;
    private final DirectorMeters meters;
    /** Null while tracing is off. */
    private final RelayTracing tracing;
    /** Set when the director drains: why new streams are refused (SHUTTING_DOWN). Routing loop. */
    private String refusing;
    /**
     * How loud "no healthy worker for stream" is: the first refusal of an outage (a model's, or every worker's) a WARN,
     * its repeats DEBUG with a WARN reminder counting them (every client backs off and asks again, so a line per
     * refusal would be thousands); the next stream assigned for that model ends its outage. Routing loop.
     */
    private final RepeatedProblems noWorkerRefusals;
    private boolean refusedForWantOfWorkers;

    /** A stream let through: its worker, its client token stream (null: none) and its leg's span (null: none). */
    record Admitted(WorkerEndpoint worker, ClientTokenStream tokens, LegSpan span, boolean resumed) {
    }

    StreamAdmission(WorkerRegistry registry, DirectorProperties properties, LimitProperties limits,
                    DirectorMeters meters, RelayTracing tracing, LongSupplier clock) {
        this.registry = registry;
        this.properties = properties;
        this.limits = limits;
        this.meters = meters;
        this.tracing = tracing;
        this.noWorkerRefusals = new RepeatedProblems(NO_WORKER_REMINDER, OUTAGES_REMEMBERED, clock);
    }

    /** From now on every new stream is refused with SHUTTING_DOWN carrying {@code why}. Routing loop. */
    void refuseAll(String why) {
        refusing = why;
    }

    /**
     * The worker (and the rest) for the stream {@code streamId} a client opened on {@code client}, or null: the stream
     * was refused, and ended with its error. {@code tokenStream}: as for {@link Relay#open}.
     */
    Admitted admit(long streamId, QuicStreamChannel client, String connectionId, GenerationRequest request,
                   QuicStreamChannel tokenStream) {
        if (refusing != null) {
            LogLine.info(log).field("stream.id", streamId).field("connection.id", connectionId)
                    .field("generation.id", request.generationId()).field("error", ErrorCode.SHUTTING_DOWN)
                    .log("director draining; refusing new stream");
            StreamFailures.endStream(client, new StreamError(ErrorCode.SHUTTING_DOWN, refusing));
            return null;
        }
        LegSpan span = tracing == null ? null : tracing.startLeg(streamId, connectionId, request);
        if (request.maxTokens() > limits.maxTokens()) {
            meters.limitHit(DirectorMeters.Limit.MAX_TOKENS);
            RepeatedProblems.Occurrence occurrence = ConnectionProblems.occurred(client, log, ErrorCode.BAD_REQUEST);
            occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("stream.id", streamId)
                            .field("connection.id", connectionId).field("max.tokens", request.maxTokens())
                            .field("limit", limits.maxTokens()))
                    .log("request asks for too many tokens");
            return refuse(client, span, request, new StreamError(ErrorCode.BAD_REQUEST, "maxTokens "
                    + request.maxTokens() + " is above this director's limit of " + limits.maxTokens()
                    + " (CONNECTION_SWAP_MAX_TOKENS_LIMIT)"));
        }
        // a leg after another one: tokens delivered before, a move counted, or a worker to avoid (a move after a
        // worker's drain before the first token counts no migration and carries no token, but names that worker)
        boolean resumed = request.resumeAfter() > 0 || request.migrations() > 0 || request.avoidWorker() != null;
        WorkerEndpoint worker = registry.pick(request.avoidWorker(), request.model());
        // with no worker registered at all (e.g. a director that just restarted, before the workers' registrations
        // are back) nothing is known about models: NO_HEALTHY_WORKER (the client waits and asks again), not a final
        // MODEL_NOT_FOUND (found by the chaos soak: 172 generations lost at a director restart); nor for a resume:
        // its model was served a moment ago, and its worker may not be back yet while other models' workers are
        if (worker == null && !resumed && registry.size() > 0 && !registry.anyServes(request.model())) {
            // a WARN per model name (a gateway carries many users on its connection), up to a bound; the name is
            // one a worker may register, at most GenerationRequest.MAX_MODEL_CHARS (the codec refuses another)
            String model = request.model();
            RepeatedProblems.Occurrence occurrence = ConnectionProblems.occurred(client, log,
                    ErrorCode.MODEL_NOT_FOUND, model, MODELS_TOLD_APART);
            occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("stream.id", streamId)
                            .field("connection.id", connectionId).field("model", model)
                            .field("workers", registry.size()))
                    .log("no worker serves the model");
            return refuse(client, span, request, new StreamError(ErrorCode.MODEL_NOT_FOUND, "no worker serves model '"
                    + model + "'"));
        }
        if (worker == null) {
            meters.noHealthyWorker();
            RepeatedProblems.Occurrence occurrence = noWorkerRefusals.occurred(outage(request.model()), Level.WARN);
            refusedForWantOfWorkers = true;
            occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("stream.id", streamId)
                    .field("connection.id", connectionId).field("model", request.model())
                    .field("workers", registry.size()))
                    .log("no healthy worker for stream");
            return refuse(client, span, request, new StreamError(ErrorCode.NO_HEALTHY_WORKER,
                    "no healthy worker (" + registry.size() + " registered); retry later"));
        }
        if (refusedForWantOfWorkers) { // that model's outage is over, and one of every worker: the next refusal is news
            noWorkerRefusals.forget(outage(request.model()));
            noWorkerRefusals.forget(ALL_WORKERS);
            refusedForWantOfWorkers = !noWorkerRefusals.isEmpty();
        }
        return new Admitted(worker, clientTokenStream(streamId, connectionId, request, tokenStream), span, resumed);
    }

    /**
     * The outage a refusal for want of a healthy worker belongs to: that of the model's workers when a worker named
     * it in its registration (another model's streams may be served meanwhile), else that of every worker (none
     * registered, no model asked for, or one no worker named: a client's text, which must not make an outage per name).
     */
    private Object outage(String model) {
        return model != null && registry.anyNames(model) ? model : ALL_WORKERS;
    }

    /**
     * The client token stream a new generation's frames go on, or null: on its own stream. Not while the client token
     * stream cannot take more: then every generation on it is held back already, and one that is not read at all keeps
     * what was written to it for as long as the connection lives, so a client that never read it could open generation
     * after generation (each reset TOO_SLOW in time) and have their frames queue there without bound. On its own
     * stream (a client takes a generation's frames from either) the generation is held back alone, and a reset frees
     * what waits for it.
     */
    private ClientTokenStream clientTokenStream(long streamId, String connectionId, GenerationRequest request,
                                                QuicStreamChannel tokenStream) {
        if (!request.tokenStream() || !properties.clientTokenStream() || tokenStream == null) {
            return null;
        }
        if (!tokenStream.isWritable()) {
            // a client that never reads its token stream would otherwise set the pace of these lines: one per
            // connection, then a count
            RepeatedProblems.Occurrence occurrence = ConnectionProblems.occurred(tokenStream, log, TOKEN_STREAM_FULL,
                    Level.INFO);
            occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("stream.id", streamId)
                    .field("connection.id", connectionId)
                    .field("bytes.before.writable", tokenStream.bytesBeforeWritable()))
                    .log("client token stream full; serving the stream on its own");
            return null;
        }
        return ClientTokenStream.of(tokenStream, properties.coalesceSends(), limits.slowClientTimeout(), meters);
    }

    /** Ends the client's stream with {@code error}, before any worker was involved. */
    private static Admitted refuse(QuicStreamChannel client, LegSpan span, GenerationRequest request,
                                   StreamError error) {
        if (span != null) {
            span.end(LegOutcome.REFUSED, request.resumeAfter(), error.code().name(), error.message());
        }
        StreamFailures.endStream(client, error);
        return null;
    }
}
