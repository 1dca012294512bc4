package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.swapclient.GenerationException;
import org.slf4j.event.Level;

/**
 * How a generation ends, once: completed, failed, cancelled by its subscriber (or ended by its bad {@code request}),
 * or by the client's close. Stops what still runs for it ({@code stop}: its leg and pending retry), logs why, gives
 * the subscriber its terminal signal through {@link Delivery}, and runs its owner's hooks: {@link #whenFinished} when
 * it ends, {@link #whenDelivered} when the subscriber has had its last signal. Loop-confined, like its
 * {@link GenerationRun}.
 */
final class GenerationEnd {

    private final String generationId;
    private final SequenceCheck check;
    private final Delivery delivery;
    private final Runnable stop;
    private boolean cancelled;
    private boolean finished;
    /** Runs once, when the generation ends for good; see {@link #whenFinished}. */
    private Runnable onFinished = () -> { };
    /** Runs once, when the subscriber has had its terminal signal or cancelled; see {@link #whenDelivered}. */
    private Runnable onDelivered = () -> { };

    /** @param stop stops the generation's current leg and calls off its pending retry */
    GenerationEnd(String generationId, SequenceCheck check, Delivery delivery, Runnable stop) {
        this.generationId = generationId;
        this.check = check;
        this.delivery = delivery;
        this.stop = stop;
    }

    void whenFinished(Runnable action) {
        this.onFinished = action;
    }

    void whenDelivered(Runnable action) {
        this.onDelivered = action;
    }

    /** Whether the generation has ended for good: completed, failed or cancelled. */
    boolean isFinished() {
        return finished;
    }

    /** Whether its subscriber cancelled. */
    boolean isCancelled() {
        return cancelled;
    }

    /** The subscriber has had its terminal signal, or cancelled ({@link Delivery}'s end). */
    void delivered() {
        onDelivered.run();
    }

    /** The generation ends for good now; its last events and signal follow through {@link Delivery}. */
    void finish() {
        finished = true;
        onFinished.run();
    }

    /** The subscriber cancelled (or broke the rules in {@code onNext}): nothing more is delivered. */
    void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        delivery.cancel();
        if (!finished) {
            finish();
            LogLine.info(GenerationRun.log).field("generation.id", generationId).field("last.seq", check.last())
                    .log("generation cancelled by its subscriber");
        }
        stop.run();
    }

    /** The subscriber asked for {@code n} (0 or less) events: it ends with {@code onError} at once (rule 3.9). */
    void badRequest(long n) {
        if (!finished) {
            finish();
            stop.run();
        }
        delivery.failNow(new IllegalArgumentException(
                "request(" + n + ") (expected: > 0, Reactive Streams rule 3.9)"));
    }

    void fail(GenerationException cause) {
        fail(cause, Level.WARN);
    }

    private void fail(GenerationException cause, Level level) {
        if (finished) {
            return;
        }
        finish();
        stop.run();
        LogLine.at(GenerationRun.log, level).field("generation.id", generationId).field("last.seq", check.last())
                .field("error", cause.code()).quoted("problem", cause.detail()).log("generation failed");
        delivery.fail(cause);
    }

    /**
     * The client is closing: end the generation with CANCELLED at once, events its subscriber has not asked for yet
     * dropped (no {@code request} can be served once the client's loop is gone). A generation that ended and whose
     * last event is out already (the subscriber closes the client in {@code onNext(Completed)}) keeps its own end
     * ({@link Delivery#closed}).
     */
    void clientClosed() {
        GenerationException closed = new GenerationException(ErrorCode.CANCELLED, "the client was closed",
                check.last());
        if (!finished) {
            // the application closed it on purpose: not a warning
            fail(closed, Level.INFO);
        }
        delivery.closed(closed);
    }
}
