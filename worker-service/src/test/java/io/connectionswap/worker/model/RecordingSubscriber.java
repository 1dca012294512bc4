package io.connectionswap.worker.model;

import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.model.ModelEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;

/** Records what a backend's publisher emits; asks for {@code initialDemand} events, more with {@link #request}. */
public final class RecordingSubscriber implements Flow.Subscriber<ModelEvent> {

    private final long initialDemand;
    private final List<ModelEvent> events = new CopyOnWriteArrayList<>();
    private volatile Flow.Subscription subscription;
    private volatile Throwable error;
    private volatile boolean completed;

    public RecordingSubscriber(long initialDemand) {
        this.initialDemand = initialDemand;
    }

    /** Asks for everything. */
    public static RecordingSubscriber unbounded() {
        return new RecordingSubscriber(Long.MAX_VALUE);
    }

    @Override
    public void onSubscribe(Flow.Subscription newSubscription) {
        subscription = newSubscription;
        if (initialDemand > 0) {
            newSubscription.request(initialDemand);
        }
    }

    @Override
    public void onNext(ModelEvent event) {
        events.add(event);
    }

    @Override
    public void onError(Throwable failure) {
        error = failure;
    }

    @Override
    public void onComplete() {
        completed = true;
    }

    public void request(long n) {
        subscription.request(n);
    }

    public void cancel() {
        subscription.cancel();
    }

    public List<ModelEvent> events() {
        return List.copyOf(events);
    }

    public List<String> texts() {
        return events.stream().filter(ModelEvent.Text.class::isInstance).map(e -> ((ModelEvent.Text) e).text()).toList();
    }

    public String text() {
        return String.join("", texts());
    }

    public ModelEvent.Finished finished() {
        return events.stream().filter(ModelEvent.Finished.class::isInstance).map(ModelEvent.Finished.class::cast)
                .findFirst().orElse(null);
    }

    public Throwable error() {
        return error;
    }

    public boolean completed() {
        return completed;
    }

    public boolean terminated() {
        return completed || error != null;
    }

    /** Waits until the publisher completed or failed. */
    public RecordingSubscriber awaitTerminal(Duration within) {
        await("publisher completes or fails").atMost(within).pollInterval(Duration.ofMillis(10)).until(this::terminated);
        return this;
    }
}
