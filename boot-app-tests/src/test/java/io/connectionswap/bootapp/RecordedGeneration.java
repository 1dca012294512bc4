package io.connectionswap.bootapp;

import io.connectionswap.swapclient.GenerationEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/** Every event of one generation, kept for a test to look at while it runs and after it ends. */
final class RecordedGeneration implements Flow.Subscriber<GenerationEvent> {

    private final List<GenerationEvent> events = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    static RecordedGeneration of(Flow.Publisher<GenerationEvent> generation) {
        RecordedGeneration recorded = new RecordedGeneration();
        generation.subscribe(recorded);
        return recorded;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(GenerationEvent event) {
        events.add(event);
    }

    @Override
    public void onError(Throwable failure) {
        done.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
        done.complete(null);
    }

    /** Waits for the end; a generation that failed throws its failure. */
    RecordedGeneration awaitEnd(Duration timeout) throws Exception {
        done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    List<GenerationEvent> events() {
        return List.copyOf(events);
    }

    <T extends GenerationEvent> List<T> events(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The tokens' text, concatenated. */
    String text() {
        StringBuilder text = new StringBuilder();
        events(GenerationEvent.Token.class).forEach(token -> text.append(token.text()));
        return text.toString();
    }
}
