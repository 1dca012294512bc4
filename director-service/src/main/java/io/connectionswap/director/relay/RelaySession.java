package io.connectionswap.director.relay;

import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.tracing.LegSpan;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.WorkerAssignment;
import java.util.function.LongSupplier;

/**
 * One client stream relayed to one worker. Frames from the worker go to the client as they are (no decoding
 * beyond the type byte and a token's sequence number; an END frame, once per generation, is read for its finish
 * reason, and one that cannot be read is a stream error). On any failure signal the session ends exactly once:
 * the worker stream is cancelled, frames still arriving from it are dropped, and the client gets a RETRY frame
 * with the last sequence relayed, unless the generation has moved as often as the migration limit allows: then a
 * final MIGRATION_LIMIT error. A worker's error that is the request's fault goes to the client as final. The session
 * keeps the leg's phase and its worker stream, hands the generation over and takes each frame from the worker; what
 * each kind of frame does, and how far the leg got, is {@link WorkerFrameRelay}; each way the leg ends, once, and how
 * it is told, counted and logged is {@link LegEnds}; the relay to the client, holding the worker back for a slow
 * client and the client's flow signals are {@link ClientBackPressure}; the worker's silence on the stream, for the
 * stall watch, is {@link WorkerSilence}. Confined to the routing loop.
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
        this.streamId = streamId;
        this.connectionId = connectionId;
        this.client = client;
        this.request = request;
        this.worker = worker;
        this.ends = new LegEnds(this, relay, migrationLimit, span); // after the fields it reads
        this.relay = relay;
        this.silence = new WorkerSilence(clock);
        this.backPressure = new ClientBackPressure(this, client, silence, clock);
        this.frames = new WorkerFrameRelay(this, request, relay, ends, backPressure);
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

    /** The stream to the worker, or null until it opened. */
    WorkerSide workerStream() {
        return workerStream;
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
                default -> ends.swap(SwapReason.STREAM_ERROR, "unexpected " + frame.type() + " frame from worker");
            }
        } finally {
            frame.release();
        }
    }

    /** The client paused this generation ({@code true}) or reads it again: {@link ClientBackPressure#clientPaused}. */
    public void clientPaused(boolean pause) {
        backPressure.clientPaused(pause);
    }

    /** Whether this generation's frames go on its connection's token stream (then the client may send PAUSE). */
    public boolean onClientTokenStream() {
        return client.tokenStream() != null;
    }

    ClientTokenStream clientTokenStream() {
        return client.tokenStream();
    }

    /** The client can take more, or ({@code false}) cannot: {@link ClientBackPressure#clientWritable}. */
    public void clientWritable(boolean writable) {
        backPressure.clientWritable(writable);
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

    /** The worker stream ended or was reset before END. */
    void workerStreamEnded(String detail) {
        if (phase == Phase.DONE) {
            return;
        }
        boolean connectionGone = workerStream != null && !workerStream.connectionActive();
        ends.swap(connectionGone ? SwapReason.CONNECTION_LOST : SwapReason.STREAM_ERROR, detail);
    }

    /** Could not open a stream to the worker at all: {@link LegEnds#notOpened}; whether the client was told. */
    boolean workerStreamFailed(Throwable cause) {
        return ends.notOpened(cause);
    }

    /** Its worker failed: {@link LegEnds#swap}. Idempotent. */
    void swap(String reason, String detail) {
        ends.swap(reason, detail);
    }

    /** The client closed or reset its stream: {@link LegEnds#clientGone}. */
    public void clientGone() {
        ends.clientGone();
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

    /** The client has read nothing for too long: {@link LegEnds#clientTooSlow}. */
    void clientTooSlow(String detail) {
        ends.clientTooSlow(detail);
    }

    /** The session lived as long as allowed: {@link LegEnds#lifetimeExceeded}. */
    void lifetimeExceeded(String detail) {
        ends.lifetimeExceeded(detail);
    }

    /** The director stops: {@link LegEnds#directorStopping}. */
    void directorStopping() {
        ends.directorStopping();
    }

    /** The director drains: {@link LegEnds#directorDraining}; false when the session had ended already. */
    boolean directorDraining(String detail) {
        return ends.directorDraining(detail);
    }

    String connectionId() {
        return connectionId;
    }

    /**
     * Ends this leg without a word to the client: done, and the relay told (the session holds no worker capacity any
     * more). False when already done. {@link LegEnds} says the rest.
     */
    boolean end() {
        if (phase == Phase.DONE) {
            return false;
        }
        phase = Phase.DONE;
        relay.sessionEnded(this);
        return true;
    }

    /** {@link #end}, and the worker stream, if open, cancelled: the worker stops. False when already done. */
    boolean endLeg() {
        if (!end()) {
            return false;
        }
        if (workerStream != null) {
            workerStream.cancel();
        }
        return true;
    }
}
