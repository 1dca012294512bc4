package io.connectionswap.systemtest.support;

import io.connectionswap.swapclient.GenerationEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A subscriber of a client library generation that asks for everything and keeps what it gets: the events, and how it
 * ended ({@code onError}'s throwable, or {@code onComplete}). Any thread may read it.
 */
public final class GenerationRecorder implements Flow.Subscriber<GenerationEvent> {

    public final List<GenerationEvent> events = new CopyOnWriteArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean completed;
    private volatile boolean subscribed;

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        subscribed = true;
        subscription.request(Long.MAX_VALUE);
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
        return subscribed;
    }

    public boolean ended() {
        return completed || failure.get() != null;
    }
}
