package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.SwapClientListener;
import java.time.Duration;
import org.slf4j.event.Level;

/**
 * What the director's refusal of a generation's stream (its ERROR before or instead of tokens) means for the
 * {@link GenerationRun}: a resume a draining director refused waits for the next connection; a refusal the client
 * waits out (no healthy worker, a director shutting down, a director at one of its limits) is retried after the
 * backoff within the wait ({@link RetryWaits}), each wait logged once; anything else, or a wait that has run out, ends
 * the generation. Loop-confined.
 */
final class Refusals {

    private final RetryWaits waits;
    private final SwapClientListener listener;
    /** How long the generation waits for a worker; null: for ever. */
    private final Duration noWorkerWait;

    /** @param listener guarded already ({@link GuardedListener}) */
    Refusals(RetryWaits waits, SwapClientListener listener, Duration noWorkerWait) {
        this.waits = waits;
        this.listener = listener;
        this.noWorkerWait = noWorkerWait;
    }

    /**
     * The director refused the stream of generation {@code generationId} with {@code error} after {@code lastSequence}
     * tokens; {@code resumed}: a worker took the generation before. Returns the failure that ends the generation, or
     * null when it waits (its next leg then opens as {@link RetryWaits} says).
     */
    GenerationException refused(StreamError error, String generationId, int lastSequence, boolean resumed) {
        ErrorCode code = error.code();
        if (code == ErrorCode.SHUTTING_DOWN && (resumed || waits.directorLeft())) {
            // a resume (a worker took the generation before, or the director's drain moved it before any worker
            // answered) that a draining director refused: the director is leaving (the transport leaves its
            // connection), it did not run out of workers; the resume waits for the next connection
            LogLine.info(GenerationRun.log).field("generation.id", generationId).field("last.seq", lastSequence)
                    .field("error", code).log("director shutting down; resuming on the next connection");
            waits.resumeRefusedByLeavingDirector(detail(error));
            return null;
        }
        if (code == ErrorCode.NO_HEALTHY_WORKER || code == ErrorCode.SHUTTING_DOWN || code == ErrorCode.OVERLOADED) {
            RetryWaits.Refusal wait = waits.refused();
            if (wait == RetryWaits.Refusal.OVER) {
                return new GenerationException(code, detail(error) + " (waited " + noWorkerWait + ")",
                        lastSequence);
            }
            if (code == ErrorCode.NO_HEALTHY_WORKER) {
                listener.noHealthyWorker();
            }
            logWait(error, generationId, lastSequence, wait == RetryWaits.Refusal.STARTED);
            waits.retryAfterBackoff();
            return null;
        }
        return new GenerationException(code, detail(error), lastSequence);
    }

    /**
     * One line when a wait for a refused generation begins; each further try of the same wait at DEBUG (an outage
     * with many generations waiting would otherwise log a line per generation per try). SHUTTING_DOWN: a director
     * draining (its GOAWAY not read yet) refused a new generation, a planned move (the transport left that connection,
     * as on GOAWAY), so INFO; no worker's fault. OVERLOADED: the director reached one of its limits (its workers may
     * all be healthy), which its message names.
     */
    private void logWait(StreamError error, String generationId, int lastSequence, boolean waitBegins) {
        ErrorCode code = error.code();
        Level first = code == ErrorCode.SHUTTING_DOWN ? Level.INFO : Level.WARN;
        LogLine line = LogLine.at(GenerationRun.log, waitBegins ? first : Level.DEBUG)
                .field("generation.id", generationId).field("last.seq", lastSequence).field("error", code);
        if (code == ErrorCode.OVERLOADED) {
            line.quoted("problem", detail(error));
        }
        line.field("retry.in.max", waits.backoffCeiling()).log(switch (code) {
            case SHUTTING_DOWN -> "director shutting down; opening the generation on the next connection";
            case OVERLOADED -> "director overloaded; waiting";
            default -> "no healthy worker; waiting";
        });
    }

    /** What the director said with its refusal, or its code when it said nothing (an ERROR's message is optional). */
    private static String detail(StreamError error) {
        return error.message() == null ? error.code().name() : error.message();
    }
}
