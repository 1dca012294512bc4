package io.connectionswap.director.relay;

import io.connectionswap.director.metrics.DirectorMeters.Finish;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.tracing.LegSpan;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.WorkerAssignment;
import java.util.function.LongSupplier;

/**
 * One client stream relayed to one worker. Frames from the worker go to the client as they are (no decoding
 * beyond the type byte and a token's sequence number; an END frame, once per generation, is read for its finish
 * reason, and one that cannot be read is a stream error). On any failure signal the session ends exactly once:
 * the worker stream is cancelled, frames still arriving from it are dropped, and the client gets a RETRY frame
 * with the last sequence relayed, unless the generation has moved as often as the migration limit allows: then a
 * final MIGRATION_LIMIT error. A worker's error that is the request's fault goes to the client as final. What each
 * kind of frame from the worker does, and how far the leg got, is {@link WorkerFrameRelay}; how each kind of end is
 * told, counted and logged is {@link LegEnds}; holding the worker back for a slow client is {@link ClientBackPressure};
 * the worker's silence on the stream, for the stall watch, is {@link WorkerSilence}. Confined to the routing loop.
 */
public final class RelaySession {

    private enum Phase { ASSIGNING, RELAYING, DONE }

    private final long streamId;
    private final String connectionId;
    private final ClientSide client;
    private final GenerationRequest request;
    private final WorkerEndpoint worker;
    private final SessionEvents relay;
    private final LegEnds ends;
    private final ClientBackPressure backPressure;
    private final WorkerSilence silence;
    private final WorkerFrameRelay frames;
    private WorkerSide workerStream;
    private Phase phase = Phase.ASSIGNING;

    RelaySession(long streamId, String connectionId, ClientSide client, GenerationRequest request,
                 WorkerEndpoint worker, SessionEvents relay, int migrationLimit) {
        this(streamId, connectionId, client, request, worker, relay, migrationLimit, System::nanoTime, null);
    }

    /** {@code span}: this leg's span, or null (tracing off). */
    RelaySession(long streamId, String connectionId, ClientSide client, GenerationRequest request,
                 WorkerEndpoint worker, SessionEvents relay, int migrationLimit, LegSpan span) {
        this(streamId, connectionId, client, request, worker, relay, migrationLimit, System::nanoTime, span);
    }

    /** {@code clock} gives {@code System.nanoTime()}-like values (tests pass a fake one). */
    RelaySession(long streamId, String connectionId, ClientSide client, GenerationRequest request,
                 WorkerEndpoint worker, SessionEvents relay, int migrationLimit, LongSupplier clock) {
        this(streamId, connectionId, client, request, worker, relay, migrationLimit, clock, null);
    }

    private RelaySession(long streamId, String connectionId, ClientSide client, GenerationRequest request,
                         WorkerEndpoint worker, SessionEvents relay, int migrationLimit, LongSupplier clock,
                         LegSpan span) {
        this.backPressure = new ClientBackPressure(clock);
        this.streamId = streamId;
        this.connectionId = connectionId;
        this.client = client;
        this.request = request;
        this.worker = worker;
        this.ends = new LegEnds(this, relay, migrationLimit, span); // after the fields it reads
        this.relay = relay;
        this.silence = new WorkerSilence(clock);
        this.frames = new WorkerFrameRelay(this, request, relay);
    }

    public long streamId() {
        return streamId;
    }

    public WorkerEndpoint worker() {
        return worker;
    }

    boolean relaying() {
        return phase == Phase.RELAYING;
    }

    /** Whether a token of this leg was relayed (until then a self-paced worker has its first-token allowance). */
    boolean firstTokenRelayed() {
        return frames.firstTokenRelayed();
    }

    /** Since when the worker has sent nothing on this stream, whether it answered the hand-off, when this started. */
    WorkerSilence silence() {
        return silence;
    }

    boolean clientCanTakeMore() {
        return client.isWritable();
    }

    /** The worker stream is open: hand the generation over. */
    void workerStreamOpened(WorkerSide stream) {
        if (phase != Phase.ASSIGNING) {
            stream.cancel();
            return;
        }
        workerStream = stream;
        phase = Phase.RELAYING;
        silence.handOff();
        if (!client.isWritable()) {
            backPressure.full(); // nothing of the worker to hold yet: the slow-client clock runs all the same
        }
        stream.assign(new WorkerAssignment(streamId, connectionId, request));
    }

    /** A frame from the worker; this method owns and releases it. */
    void fromWorker(RawFrame frame) {
        try {
            if (phase != Phase.RELAYING) {
                return; // the decision to swap was taken: late frames of the failed worker are dropped
            }
            if (frame.type() == FrameType.HEARTBEAT) {
                return; // the frame a stream's FIN travels with (QuicStreams.finish), or an echo: not a worker's word
            }
            worker.heardFrom(silence.heardNow());
            switch (frame.type()) {
                case CONNECTED -> frames.connected(frame);
                case TOKEN -> frames.token(frame);
                case END -> frames.end(frame);
                case ERROR -> frames.error(frame);
                default -> swap(SwapReason.STREAM_ERROR, "unexpected " + frame.type() + " frame from worker");
            }
        } finally {
            frame.release();
        }
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
        phase = Phase.DONE;
        relay.sessionEnded(this);
        ends.requestRefused(frame, error, workerStream);
    }

    /**
     * Writes {@code frame} to the client; false when the session ended instead: on a stream the client stopped, the
     * write fails at once and its failure ends the leg (clientGone) before it returns, so the worker stream just
     * cancelled is not paused and the frame is not counted as relayed; a worker held back that sent more than it may
     * during the hold ({@link ClientBackPressure#overBound}) is a stream error, and the frame is not written.
     */
    boolean relayToClient(RawFrame frame) {
        if (backPressure.overBound(frame.content().readableBytes())) {
            // a worker held back for a slow client that goes on sending (a PAUSE it ignores): not relayed, or the
            // director would hold without bound what the client cannot take
            swap(SwapReason.STREAM_ERROR, "worker sent " + backPressure.bytesWhileHeld() + " bytes while held back"
                    + " for a slow client, more than the " + ClientBackPressure.MAX_BYTES_WHILE_HELD + " allowed");
            return false;
        }
        client.relay(frame.content().retain());
        if (phase != Phase.RELAYING) {
            return false;
        }
        if (!client.isWritable()) {
            backPressure.hold(workerStream); // the client reads slower than the worker sends
        }
        return true;
    }

    /**
     * The client paused this generation ({@code true}) or reads it again: its PAUSE message, on a generation whose
     * frames go on the connection's token stream (where flow control is shared, so it cannot say this by not reading).
     */
    public void clientPaused(boolean pause) {
        if (!client.paused(pause) || phase != Phase.RELAYING) {
            return;
        }
        if (pause) {
            backPressure.hold(workerStream);
        } else {
            clientWritable(client.isWritable());
        }
    }

    /** Whether this generation's frames go on its connection's token stream (then the client may send PAUSE). */
    public boolean onClientTokenStream() {
        return client.tokenStream() != null;
    }

    ClientTokenStream clientTokenStream() {
        return client.tokenStream();
    }

    /**
     * The client can take more: resume reading from the worker. Or it cannot ({@code false}: a client token stream
     * filled with other generations' frames): the worker is held at its next frame, and the slow-client clock runs from
     * now, so that a worker that sends nothing more on this stream cannot keep a client that reads nothing.
     */
    public void clientWritable(boolean writable) {
        long heldSince = -1;
        if (writable) {
            heldSince = backPressure.release();
        } else {
            backPressure.full();
        }
        if (heldSince != -1) {
            silence.holdReleased(heldSince); // the worker was held back (not read, or PAUSEd)
        }
        if (writable && workerStream != null && phase == Phase.RELAYING) {
            workerStream.read(true);
        }
    }

    String generationId() {
        return request.generationId();
    }

    GenerationRequest request() {
        return request;
    }

    ClientSide client() {
        return client;
    }

    /** Tokens the client already had when this leg started (0 for a new generation, or a resume before any token). */
    int resumeAfter() {
        return request.resumeAfter();
    }

    /** The last token sequence relayed to the client (its resume point were the leg to end now). */
    int lastRelayed() {
        return frames.lastRelayed();
    }

    /** The worker's END was relayed ({@link WorkerFrameRelay#end}). */
    void complete(Finish finish) {
        phase = Phase.DONE;
        relay.sessionEnded(this);
        ends.completed(finish, workerStream);
    }

    /** The worker stream ended or was reset before END. */
    void workerStreamEnded(String detail) {
        if (phase == Phase.DONE) {
            return;
        }
        boolean connectionGone = workerStream != null && !workerStream.connectionActive();
        swap(connectionGone ? SwapReason.CONNECTION_LOST : SwapReason.STREAM_ERROR, detail);
    }

    /**
     * Could not open a stream to the worker at all.
     *
     * @return whether the client was told NO_HEALTHY_WORKER (false when the session had ended or the client left)
     */
    boolean workerStreamFailed(Throwable cause) {
        // the worker never got the generation (its link closing before the registry heard of it): nothing failed
        // that the generation should pay a migration for, nor a swap to hold against the worker; the client asks again
        if (phase == Phase.DONE) {
            return false;
        }
        phase = Phase.DONE;
        relay.sessionEnded(this);
        return ends.notOpened(cause);
    }

    /**
     * Ends this leg because its worker failed: cancel the worker stream, tell the client where to resume.
     * Idempotent.
     */
    void swap(String reason, String detail) {
        if (endLeg()) {
            ends.swapped(reason, detail);
        }
    }

    /** The client closed or reset its stream: stop the worker. */
    public void clientGone() {
        if (endLeg()) {
            ends.clientGone();
        }
    }

    /**
     * Since when the client has not been able to take more (flow control full, or PAUSEd), whether or not a frame of
     * the worker was held since, or -1 while it reads: the slow-client rule's clock.
     */
    long clientBlockedSinceNanos() {
        return phase != Phase.DONE ? backPressure.fullSinceNanos() : -1;
    }

    /** Since when the worker has been held back for its client (not read, or PAUSEd), or -1 while it is read. */
    long workerHeldSinceNanos() {
        return phase != Phase.DONE ? backPressure.blockedSinceNanos() : -1;
    }

    /** The client has read nothing for too long: reset its stream (TOO_SLOW) and stop the worker. */
    void clientTooSlow(String detail) {
        if (endLeg()) {
            ends.clientTooSlow(detail);
        }
    }

    /** The session lived as long as allowed: a final STREAM_TIMEOUT error, and the worker stops. */
    void lifetimeExceeded(String detail) {
        if (endLeg()) {
            ends.lifetimeExceeded(detail);
        }
    }

    /** The director stops: stop the worker; the client's connection is closed next and the client resumes elsewhere. */
    void directorStopping() {
        endLeg();
        ends.directorStopping(); // nothing when the leg had ended before
    }

    /**
     * The director drains (it told the client GOAWAY): end this leg now, at a token boundary (frames are relayed
     * whole, so {@code lastRelayed} is exactly what the client holds), stop the worker, and send RETRY with reason
     * {@link Retry#DIRECTOR_DRAIN} so the client resumes after that token at another director. Not a swap: no swap
     * counted, no migration, the worker is not blamed. False when the session had ended already.
     */
    boolean directorDraining(String detail) {
        if (!endLeg()) {
            return false;
        }
        ends.directorDraining(detail);
        return true;
    }

    String connectionId() {
        return connectionId;
    }

    /** Ends this leg without a word to the client: done, not counted, worker stream ended. False when already done. */
    private boolean endLeg() {
        if (phase == Phase.DONE) {
            return false;
        }
        phase = Phase.DONE;
        relay.sessionEnded(this);
        if (workerStream != null) {
            workerStream.cancel();
        }
        return true;
    }
}
