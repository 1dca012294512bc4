package io.connectionswap.systemtest.support;

import io.connectionswap.swapclient.GenerationEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A subscriber of a client library generation that keeps what it gets: the events, and how it ended ({@code onError}'s
 * throwable, or {@code onComplete}). It asks for everything, or for a first few events and more only when the test
 * says ({@link #request}). Any thread may read it.
 */
public final class GenerationRecorder implements Flow.Subscriber<GenerationEvent> {

    public final List<GenerationEvent> events = new CopyOnWriteArrayList<>();
    private final long initialDemand;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile Flow.Subscription subscription;
    private volatile boolean completed;

    /** Asks for every event. */
    public GenerationRecorder() {
        this(Long.MAX_VALUE);
    }

    /** Asks for {@code initialDemand} events, then for more only through {@link #request}. */
    public GenerationRecorder(long initialDemand) {
        this.initialDemand = initialDemand;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        subscription.request(initialDemand);
    }

    /** Asks for {@code n} more events. */
    public void request(long n) {
        subscription.request(n);
    }

    /** Cancels the generation (its subscriber leaves). */
    public void cancel() {
        subscription.cancel();
    }

    @Override
    public void onNext(GenerationEvent event) {
        events.add(event);
    }

    @Override
    public void onError(Throwable throwable) {
        failure.set(throwable);
    }

    @Override
    public void onComplete() {
        completed = true;
    }

    /** What {@code onError} carried, or null. */
    public Throwable failure() {
        return failure.get();
    }

    public boolean completed() {
        return completed;
    }

    public boolean subscribed() {
        return subscription != null;
    }

    public boolean ended() {
        return completed || failure.get() != null;
    }
}
