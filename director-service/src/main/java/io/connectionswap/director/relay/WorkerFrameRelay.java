package io.connectionswap.director.relay;

import io.connectionswap.director.metrics.DirectorMeters.Finish;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.StreamError;

/**
 * What a {@link RelaySession} makes of each kind of frame its worker sends while it relays, and how far the leg got:
 * CONNECTED is relayed once a leg; TOKENs in sequence, up to the request's maxTokens, read no further than their
 * sequence number; END is read for its finish reason and completes the session; ERROR is read for whose fault it is. A
 * frame that breaks these rules, or cannot be read, is a stream error: the session swaps. Keeps the last sequence
 * relayed (the client's resume point) and whether a token of this leg was relayed. Frames go to the client through the
 * session's {@link ClientBackPressure}; a leg's end is its {@link LegEnds}. Confined to the routing loop; per token: no
 * allocation, the relay to the client and one {@link SessionEvents#tokenRelayed} call.
 */
final class WorkerFrameRelay {

    private final RelaySession session;
    private final GenerationRequest request;
    private final SessionEvents relay;
    private final LegEnds ends;
    private final ClientBackPressure toClient;
    private int lastRelayed;
    /** The worker's CONNECTED was relayed: it comes once a leg. */
    private boolean connectedSeen;
    private boolean firstTokenRelayed;

    WorkerFrameRelay(RelaySession session, GenerationRequest request, SessionEvents relay, LegEnds ends,
                     ClientBackPressure toClient) {
        this.session = session;
        this.request = request;
        this.relay = relay;
        this.ends = ends;
        this.toClient = toClient;
        this.lastRelayed = request.resumeAfter();
    }

    /** The last token sequence relayed to the client (its resume point were the leg to end now). */
    int lastRelayed() {
        return lastRelayed;
    }

    /** Whether a token of this leg was relayed (until then a self-paced worker has its first-token allowance). */
    boolean firstTokenRelayed() {
        return firstTokenRelayed;
    }

    /**
     * The worker ended the stream with an ERROR. A request fault (too large, bad request, rejected upstream) is the
     * request's doing: the client gets that same ERROR as final, and the worker is not blamed. SHUTTING_DOWN means the
     * worker drains: a drain, exactly as if its DRAIN message had arrived. Before its CONNECTED it refused the hand-off;
     * after it, the worker had accepted and its drain timed out with the generation still running (on a link with token
     * streams an ERROR that overtakes the CONNECTED reads as a refusal: only the wording differs). Anything else is the
     * worker's failure: swap.
     */
    void error(RawFrame frame) {
        StreamError error = decodeOrSwap(frame, StreamError.class);
        if (error == null) {
            return;
        }
        if (error.code().isRequestFault()) {
            ends.requestRefused(frame, error);
            return;
        }
        if (error.code() == ErrorCode.SHUTTING_DOWN) {
            String detail = (connectedSeen ? "worker's drain timed out mid-generation: "
                    : "worker refused the hand-off while draining: ") + error.message();
            ends.swap(SwapReason.DRAIN, detail);
            relay.workerDraining(session, detail);
            return;
        }
        ends.swap(SwapReason.STREAM_ERROR, "worker ended stream: " + error.code() + " " + error.message());
    }

    void token(RawFrame frame) {
        int payload = frame.content().readableBytes() - Frames.HEADER_BYTES; // no slice per token
        if (payload < Integer.BYTES) {
            // a bad frame of this stream, whole (the stream, or the worker's token stream, reads on): this leg's end
            ends.swap(SwapReason.STREAM_ERROR, "TOKEN frame from worker of " + payload
                    + " payload bytes, too short for its sequence number");
            return;
        }
        int sequence = frame.tokenSequence();
        if (sequence != lastRelayed + 1) {
            ends.swap(SwapReason.STREAM_ERROR, "worker sent token seq=" + sequence + " where " + (lastRelayed + 1)
                    + " was due");
            return;
        }
        if (sequence > request.maxTokens()) {
            // more than the client asked for, and a resume point no request may carry (resumeAfter <= maxTokens)
            ends.swap(SwapReason.STREAM_ERROR, "worker sent token seq=" + sequence + " past the request's maxTokens "
                    + request.maxTokens());
            return;
        }
        if (!toClient.relay(frame)) {
            return;
        }
        lastRelayed = sequence;
        relay.tokenRelayed(session, !firstTokenRelayed);
        firstTokenRelayed = true;
    }

    /**
     * The worker's CONNECTED, relayed once: a worker sends it once a leg, and another would be relayed to the client as
     * another assignment, and as a sign of life would keep a worker sending nothing else from being found stalled.
     */
    void connected(RawFrame frame) {
        if (connectedSeen) {
            ends.swap(SwapReason.STREAM_ERROR, "worker sent CONNECTED again after "
                    + (lastRelayed - request.resumeAfter()) + " tokens of this leg");
            return;
        }
        connectedSeen = true;
        toClient.relay(frame);
    }

    /**
     * The worker's END: relayed, and the session complete. One the director cannot read is a stream error like any
     * other bad frame from the worker (the client could not read it either): the generation moves and the next worker
     * ends it.
     */
    void end(RawFrame frame) {
        End end = decodeOrSwap(frame, End.class);
        if (end == null) {
            return;
        }
        Finish finish = LegEnds.finishOf(end);
        if (toClient.relay(frame)) {
            ends.completed(finish);
        }
    }

    /**
     * The message of a frame from the worker (an ERROR or END: read once a leg), or null when the frame is a stream
     * error and the generation moves: one the director cannot read, or whose body is another message than its type.
     */
    private <M extends Message> M decodeOrSwap(RawFrame frame, Class<M> expected) {
        Message message;
        try {
            message = MessageCodec.decode(frame);
        } catch (RuntimeException e) {
            ends.swap(SwapReason.STREAM_ERROR, "unreadable " + frame.type() + " frame from worker: "
                    + e.getMessage());
            return null;
        }
        if (!expected.isInstance(message)) {
            ends.swap(SwapReason.STREAM_ERROR, "unexpected " + message.frameType() + " in an " + frame.type()
                    + " frame from worker");
            return null;
        }
        return expected.cast(message);
    }
}
