package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.protocol.model.ModelException;
import java.util.concurrent.Flow;

/**
 * The subscriber side of one leg: the events it asked for (its demand), the END held until it asks for one, and
 * whether the leg is over for it (terminated: ended, failed or cancelled; nothing more is sent). Not thread-safe: one
 * leg's serial executor.
 */
final class LegDownstream {

    private final Flow.Subscriber<? super ModelEvent> subscriber;
    private long demand;
    private boolean terminated;
    private ModelEvent.Finished pendingFinish;

    LegDownstream(Flow.Subscriber<? super ModelEvent> subscriber) {
        this.subscriber = subscriber;
    }

    /** The subscriber asked for {@code n} more events ({@code n} above 0). */
    void demand(long n) {
        demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
    }

    /** Whether the subscriber has asked for an event not sent yet. */
    boolean wantsEvent() {
        return demand > 0;
    }

    boolean terminated() {
        return terminated;
    }

    /** Ends the leg for the subscriber: false when it was over already. */
    boolean terminate() {
        if (terminated) {
            return false;
        }
        terminated = true;
        return true;
    }

    /** Sends one token's text (the subscriber asked for it). */
    void text(String text) {
        demand--;
        subscriber.onNext(new ModelEvent.Text(text));
    }

    /** The leg's END, sent once the subscriber asks for it ({@link #sendFinished}). */
    void finished(ModelEvent.Finished finished) {
        pendingFinish = finished;
    }

    /** Whether the END waits for the subscriber's demand. */
    boolean finishPending() {
        return pendingFinish != null;
    }

    /** Sends the pending END and completes (the leg {@link #terminate}d). */
    void sendFinished() {
        ModelEvent.Finished finished = pendingFinish;
        pendingFinish = null;
        demand--;
        subscriber.onNext(finished);
        subscriber.onComplete();
    }

    /** Fails the subscriber (the leg {@link #terminate}d). */
    void failed(ModelException failure) {
        subscriber.onError(failure);
    }
}
