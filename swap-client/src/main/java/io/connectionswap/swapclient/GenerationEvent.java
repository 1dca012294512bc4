package io.connectionswap.swapclient;

import io.connectionswap.protocol.message.Usage;
import java.time.Duration;

/**
 * What a subscriber of {@link SwapClient#generate} receives, in this order: {@link Assigned}, then {@link Token}s
 * (sequence 1, 2, 3, ... with nothing missing or repeated), wherever the generation moved to another stream the new
 * worker's {@link Assigned} then a {@link Swapped} (just before its first token), and {@link Completed} last. Every move
 * is a {@link Swapped}: the director's (its RETRY says why) and the client's own, when it lost the director (its
 * connection closed, its heartbeats unanswered) and resumed on a new connection ({@link Swapped#DIRECTOR_LOST}), when
 * a stream broke while the connection held ({@link Swapped#STREAM_BROKEN}), and when it repaired a sequence gap
 * ({@link Swapped#SEQUENCE_GAP}). A generation that cannot finish ends with {@code onError} instead, carrying a
 * {@link GenerationException}.
 */
public sealed interface GenerationEvent {

    /**
     * A worker took the generation: at the start, and again after every swap (then {@code resumeAfter > 0}).
     *
     * @param worker       label of the serving worker
     * @param connectionId the director's name for this client's connection (the same across swaps)
     * @param streamId     the director's number for this stream
     * @param model        model the worker serves the generation with (null when it did not say)
     * @param resumeAfter  tokens delivered before this worker took over (0 for the first worker)
     */
    record Assigned(String worker, String connectionId, long streamId, String model, int resumeAfter)
            implements GenerationEvent {
    }

    /**
     * The next piece of text. Concatenating every token's {@code text} gives exactly the text an unbroken
     * generation would have given.
     *
     * @param sequence 1-based, contiguous across swaps
     * @param text     the token's text (may be empty)
     * @param worker   label of the worker that produced it
     */
    record Token(int sequence, String text, String worker) implements GenerationEvent {
    }

    /**
     * The generation moved to another stream, and usually another worker; sent just before the first token (or the
     * completion) the new worker delivered. One per move, the first reason since the last token told (a RETRY whose
     * resume then broke is one move, the RETRY's).
     *
     * @param reason     why the director moved it (its RETRY): health, stream_error, connection_lost (the director
     *                   lost its worker), stall, drain, or director_drain (the director shut down and the generation
     *                   moved to another one; fromWorker is then the healthy worker it left); or why the client moved
     *                   it itself: {@link #DIRECTOR_LOST}, {@link #STREAM_BROKEN}, {@link #SEQUENCE_GAP}. Only the
     *                   director's reasons reach {@link SwapClientListener#swapped}
     * @param fromWorker label of the worker the generation left (the one that failed, or the last one that served it
     *                   when the client moved it)
     * @param toWorker   label of the worker that continued (may be the same one after a client's move)
     * @param gap        the pause the swap caused as this client saw it: from the last token before the swap to
     *                   the first one after it
     * @param afterSequence last token delivered before the swap
     */
    record Swapped(String reason, String fromWorker, String toWorker, Duration gap, int afterSequence)
            implements GenerationEvent {

        /** The client lost its connection to the director and resumed the generation on a new one. */
        public static final String DIRECTOR_LOST = "director_lost";
        /** The stream ended without END or RETRY (reset, closed) while the connection held; the client resumed it. */
        public static final String STREAM_BROKEN = "stream_broken";
        /** A token was missing; the client resumed after the last good one on another worker. */
        public static final String SEQUENCE_GAP = "sequence_gap";
    }

    /**
     * The generation is complete; the last event before {@code onComplete}.
     *
     * @param finishReason   OpenAI wire value: {@code length} (the token budget was used) or {@code stop}
     * @param usage          token counts the model reported, or null
     * @param tokens         tokens delivered (the last sequence number)
     * @param sequenceErrors gaps and duplicates this client caught and repaired along the way (0 in a healthy
     *                       system; each also went to {@link SwapClientListener#sequenceError})
     */
    record Completed(String finishReason, Usage usage, int tokens, int sequenceErrors) implements GenerationEvent {
    }
}
