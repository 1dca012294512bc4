package io.connectionswap.swapclient.internal;

import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.SwapClientListener;
import java.time.Duration;

/**
 * A generation's tokens and moves in time, as its subscriber sees them: the time to the first token and the gap
 * between two tokens (to the listener), and the move to another stream, told in one {@link GenerationEvent.Swapped}
 * just before the next token (or the completion), its gap counted from the last token. The director's RETRY says why;
 * the client's own resumes (a lost director, a broken stream, a sequence gap) are moves too, so that an application
 * sees every one in that event. The first reason since the last token is the one told. Loop-confined, like its
 * {@link GenerationRun}.
 */
final class TokenTimeline {

    private record Move(String reason, String fromWorker, long sinceNanos, int afterSequence) {
    }

    private final SwapClientListener listener;
    private long startedNanos;
    private long lastTokenNanos;
    private Move pending;

    TokenTimeline(SwapClientListener listener) {
        this.listener = listener;
    }

    /** The generation starts at {@code nowNanos}: the time to its first token counts from here. */
    void start(long nowNanos) {
        startedNanos = nowNanos;
    }

    /** An in-order token came at {@code nowNanos}: its gap since the last one (or the start) to the listener. */
    void tokenArrived(long nowNanos) {
        if (lastTokenNanos != 0) {
            listener.tokenGap(nowNanos - lastTokenNanos);
        } else {
            listener.timeToFirstToken(nowNanos - startedNanos);
        }
    }

    /** The token that came at {@code nowNanos} is the last one now. */
    void lastToken(long nowNanos) {
        lastTokenNanos = nowNanos;
    }

    /**
     * The subscriber read again at {@code nowNanos} after holding reading back since {@code heldBackSinceNanos}: that
     * time is the subscriber's, not the cluster's, so it is taken out of the next token gap (tokens already on their
     * way that arrived meanwhile count from their arrival).
     */
    void heldBack(long heldBackSinceNanos, long nowNanos) {
        if (lastTokenNanos != 0) {
            lastTokenNanos += nowNanos - Math.max(heldBackSinceNanos, lastTokenNanos);
        }
    }

    /** The generation leaves {@code fromWorker} after {@code afterSequence} tokens; the first reason is kept. */
    void moving(String reason, String fromWorker, int afterSequence, long nowNanos) {
        if (pending == null) {
            long since = lastTokenNanos != 0 ? lastTokenNanos : nowNanos;
            pending = new Move(reason, fromWorker, since, afterSequence);
        }
    }

    /** The move to tell now that {@code toWorker} serves the generation, or null when it did not move. */
    GenerationEvent.Swapped takeMove(String toWorker, long nowNanos) {
        if (pending == null) {
            return null;
        }
        Move move = pending;
        pending = null;
        return new GenerationEvent.Swapped(move.reason(), move.fromWorker(), toWorker,
                Duration.ofNanos(nowNanos - move.sinceNanos()), move.afterSequence());
    }
}
