package io.connectionswap.director.relay;

import io.connectionswap.director.metrics.DirectorMeters.Finish;
import io.connectionswap.director.registry.StreamLimitReachedException;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.tracing.LegOutcome;
import io.connectionswap.director.tracing.LegSpan;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * How a {@link RelaySession}'s leg ends: once (the session goes DONE and stops holding worker capacity,
 * {@link RelaySession#end}; the worker stream is cancelled where the worker is to stop, {@link RelaySession#endLeg}),
 * then what the client is told (END, RETRY, a final error or a reset), what is reported to the {@link SessionEvents},
 * the line logged and the leg's span ended. Each way a leg ends is one method; a leg that had ended already is left
 * as it is. Confined to the routing loop.
 */
final class LegEnds {

    /** The session's logger: these lines are the session's, as before they moved here. */
    private static final Logger log = LoggerFactory.getLogger(RelaySession.class);
    /** The per-connection problem kinds of the lines a client can repeat stream after stream (ClientSide.problem). */
    private static final String WORKER_REFUSED = "worker-refused-";
    private static final String CLIENT_TOO_SLOW = "client-too-slow";

    private final RelaySession session;
    private final long streamId;
    private final String connectionId;
    private final ClientSide client;
    private final GenerationRequest request;
    private final WorkerEndpoint worker;
    private final SessionEvents relay;
    private final int migrationLimit;
    /** This leg's span, or null while tracing is off. */
    private final LegSpan span;

    /** The ends of {@code session}'s legs; its stream, connection, client, request and worker are taken from it. */
    LegEnds(RelaySession session, SessionEvents relay, int migrationLimit, LegSpan span) {
        if (migrationLimit < 0) {
            throw new IllegalArgumentException("migrationLimit: " + migrationLimit + " (expected: >= 0)");
        }
        this.session = session;
        this.streamId = session.streamId();
        this.connectionId = session.connectionId();
        this.client = session.client();
        this.request = session.request();
        this.worker = session.worker();
        this.relay = relay;
        this.migrationLimit = migrationLimit;
        this.span = span;
    }

    /** How a generation that ended with {@code end} finished (a reason this director does not know is a stop). */
    static Finish finishOf(End end) {
        return FinishReason.fromWire(end.finishReason()) == FinishReason.LENGTH ? Finish.LENGTH : Finish.STOP;
    }

    /** The worker's END was relayed ({@link WorkerFrameRelay#end}): the client's stream, and the worker's, end. */
    void completed(Finish finish) {
        if (!session.end()) {
            return;
        }
        relay.generationFinished(session, finish);
        client.finish();
        WorkerSide workerStream = session.workerStream();
        if (workerStream != null) {
            workerStream.close();
        }
        LogLine.debug(log).field("stream.id", streamId).field("connection.id", connectionId)
                .field("worker.label", worker.label()).field("last.seq", session.lastRelayed())
                .log("generation complete");
        traceEnd(LegOutcome.COMPLETED, null, null);
    }

    /**
     * The worker's ERROR is the request's fault ({@link WorkerFrameRelay#error}): the client gets that frame as final,
     * unless it left (then nobody is told, and a generation whose client left is not counted).
     */
    void requestRefused(RawFrame frame, StreamError error) {
        if (!client.isActive()) {
            clientGone();
            return;
        }
        if (!session.end()) {
            return;
        }
        relay.requestFailed(session, error.code());
        relay.generationFinished(session, Finish.ERROR);
        // the request is the client's, which may send refused request after request: one WARN per connection and code
        RepeatedProblems.Occurrence occurrence = client.problem(log, WORKER_REFUSED + error.code());
        occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("stream.id", streamId)
                        .field("connection.id", connectionId).field("generation.id", request.generationId())
                        .field("worker.label", worker.label()).field("error", error.code())
                        .quoted("problem", error.message()))
                .log("worker refused the request; ending the client's stream with its error");
        client.relay(frame.content().retain());
        client.finish();
        session.workerStream().close();
        traceEnd(LegOutcome.REQUEST_ERROR, error.code().name(), error.message());
    }

    /**
     * No stream could be opened to the worker: the client is told NO_HEALTHY_WORKER and asks again. A worker at its
     * stream limit (no worker had room) was warned about once already (StreamRoom): this stream's line is INFO.
     *
     * @return whether the client was told NO_HEALTHY_WORKER (false when the session had ended or the client left)
     */
    boolean notOpened(Throwable cause) {
        // the worker never got the generation (its link closing before the registry heard of it): nothing failed
        // that the generation should pay a migration for, nor a swap to hold against the worker; the client asks again
        if (!session.end()) {
            return false;
        }
        boolean atLimit = cause instanceof StreamLimitReachedException;
        String detail = "cannot open a stream to worker " + worker.label() + ": "
                + (atLimit ? cause.getMessage() : cause);
        Level level = atLimit ? Level.INFO : Level.WARN;
        LogLine.at(log, level).field("stream.id", streamId).field("connection.id", connectionId)
                .field("generation.id", request.generationId()).field("worker.addr", worker.address())
                .field("worker.label", worker.label()).quoted("err", detail)
                .log("cannot open stream to worker; the client asks again");
        boolean told = client.isActive();
        if (told) {
            client.fail(new StreamError(ErrorCode.NO_HEALTHY_WORKER, detail + "; retry later"));
        }
        traceEnd(LegOutcome.REFUSED, ErrorCode.NO_HEALTHY_WORKER.name(), detail);
        return told;
    }

    /**
     * Ends this leg because its worker failed: cancel the worker stream, tell the client where to resume (RETRY), or,
     * once the generation moved as often as the migration limit allows, give it a final MIGRATION_LIMIT error.
     * Idempotent.
     */
    void swap(String reason, String detail) {
        if (!session.endLeg()) {
            return;
        }
        int lastRelayed = session.lastRelayed();
        LogLine.warn(log).field("stream.id", streamId).field("connection.id", connectionId)
                .field("worker.addr", worker.address()).field("worker.label", worker.label()).field("reason", reason)
                .quoted("err", detail).log("worker stream ended with error");
        if (!client.isActive()) {
            LogLine.info(log).field("stream.id", streamId).field("connection.id", connectionId)
                    .log("client is gone; nothing to retry");
            traceEnd(LegOutcome.CLIENT_GONE, reason, detail);
            return;
        }
        // a worker that drains is no failure of the generation: it moves on past the limit too (not with limit 0)
        boolean limited = migrationLimit == 0 || !SwapReason.DRAIN.equals(reason) && request.migrations() >= migrationLimit;
        if (limited) {
            String problem = (migrationLimit == 0 ? "generations never move to another worker"
                    : "generation moved " + request.migrations() + " times, the most allowed")
                    + " (CONNECTION_SWAP_MIGRATION_LIMIT=" + migrationLimit + "); last failure: " + reason + " on "
                    + worker.label() + ": " + detail;
            LogLine.warn(log).field("stream.id", streamId).field("connection.id", connectionId)
                    .field("generation.id", request.generationId()).field("migrations", request.migrations())
                    .field("reason", reason).field("last.seq", lastRelayed)
                    .log("generation reached the migration limit; ending the client's stream with an error");
            relay.migrationLimitReached(session, reason);
            relay.generationFinished(session, Finish.ERROR);
            client.fail(new StreamError(ErrorCode.MIGRATION_LIMIT, problem));
            traceEnd(LegOutcome.MIGRATION_LIMIT, reason, detail);
            return;
        }
        LogLine.info(log).field("stream.id", streamId).field("connection.id", connectionId)
                .field("generation.id", request.generationId()).field("reason", reason).field("last.seq", lastRelayed)
                .log("asking client to retry on next worker");
        relay.swapped(session, reason);
        client.retry(new Retry(reason, lastRelayed, worker.label(), detail));
        traceEnd(LegOutcome.SWAPPED, reason, detail);
    }

    /** The client closed or reset its stream: stop the worker. */
    void clientGone() {
        if (!session.endLeg()) {
            return;
        }
        LogLine.info(log).field("stream.id", streamId).field("connection.id", connectionId)
                .field("worker.label", worker.label()).field("last.seq", session.lastRelayed())
                .log("client ended stream");
        traceEnd(LegOutcome.CLIENT_GONE, null, null);
    }

    /** The client has read nothing for too long: reset its stream (TOO_SLOW) and stop the worker. */
    void clientTooSlow(String detail) {
        if (!session.endLeg()) {
            return;
        }
        // a client that stops reading generation after generation: one WARN per connection, then a count
        RepeatedProblems.Occurrence occurrence = client.problem(log, CLIENT_TOO_SLOW);
        occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("stream.id", streamId)
                        .field("connection.id", connectionId).field("generation.id", request.generationId())
                        .field("worker.label", worker.label()).field("last.seq", session.lastRelayed())
                        .quoted("problem", detail))
                .log("client stopped reading; resetting its stream");
        relay.generationFinished(session, Finish.ERROR);
        client.abort(ErrorCode.TOO_SLOW);
        traceEnd(LegOutcome.CLIENT_TOO_SLOW, ErrorCode.TOO_SLOW.name(), detail);
    }

    /** The session lived as long as allowed: a final STREAM_TIMEOUT error, and the worker stops. */
    void lifetimeExceeded(String detail) {
        if (!session.endLeg()) {
            return;
        }
        LogLine.warn(log).field("stream.id", streamId).field("connection.id", connectionId)
                .field("generation.id", request.generationId()).field("worker.label", worker.label())
                .field("last.seq", session.lastRelayed()).quoted("problem", detail)
                .log("stream lived too long; ending it");
        relay.generationFinished(session, Finish.ERROR);
        client.fail(new StreamError(ErrorCode.STREAM_TIMEOUT, detail));
        traceEnd(LegOutcome.TIMEOUT, ErrorCode.STREAM_TIMEOUT.name(), detail);
    }

    /** The director stops: stop the worker; the client's connection is closed next and the client resumes elsewhere. */
    void directorStopping() {
        session.endLeg();
        traceEnd(LegOutcome.DIRECTOR_STOPPING, null, null); // nothing when the leg had ended before
    }

    /**
     * The director drains (it told the client GOAWAY): end this leg now, at a token boundary (frames are relayed
     * whole, so {@code lastRelayed} is exactly what the client holds), stop the worker, and send RETRY with reason
     * {@link Retry#DIRECTOR_DRAIN} so the client resumes after that token at another director. Not a swap: no swap
     * counted, no migration, the worker is not blamed. False when the session had ended already.
     */
    boolean directorDraining(String detail) {
        if (!session.endLeg()) {
            return false;
        }
        traceEnd(LegOutcome.DIRECTOR_STOPPING, Retry.DIRECTOR_DRAIN, detail); // Relay.stop no longer sees this leg
        if (!client.isActive()) {
            return true;
        }
        int lastRelayed = session.lastRelayed();
        LogLine.info(log).field("stream.id", streamId).field("connection.id", connectionId)
                .field("generation.id", request.generationId()).field("worker.label", worker.label())
                .field("last.seq", lastRelayed).field("reason", Retry.DIRECTOR_DRAIN)
                .log("asking client to resume at another director");
        client.retry(new Retry(Retry.DIRECTOR_DRAIN, lastRelayed, worker.label(), detail));
        return true;
    }

    /** Ends this leg's span, when tracing is on. */
    private void traceEnd(LegOutcome outcome, String reason, String detail) {
        if (span != null) {
            span.end(outcome, session.lastRelayed(), reason, detail);
        }
    }
}
