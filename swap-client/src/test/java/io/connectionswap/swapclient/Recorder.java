package io.connectionswap.swapclient;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * A subscriber that keeps every signal of one generation: its subscription, its events, and how it ended
 * ({@link #ended}: {@code onError}'s throwable, or null for {@code onComplete}). It asks for {@code initialDemand}
 * events when subscribed (none: the test asks through {@link #subscription}). Any thread may read it; the tests of
 * {@code GenerationRun} read it on their manual loop, those of {@link SwapClient} from the test thread.
 */
public final class Recorder implements Flow.Subscriber<GenerationEvent> {

    public final List<GenerationEvent> events = new CopyOnWriteArrayList<>();
    public volatile Throwable failure;
    public volatile boolean completed;
    private final long initialDemand;
    private final CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
    private final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    private volatile Consumer<Throwable> inOnError = failure -> { };

    /** Asks for nothing when subscribed. */
    public Recorder() {
        this(0);
    }

    /** Asks for {@code initialDemand} events when subscribed (0: none). */
    public Recorder(long initialDemand) {
        this.initialDemand = initialDemand;
    }

    /** Asks for every event when subscribed. */
    public static Recorder requestingAll() {
        return new Recorder(Long.MAX_VALUE);
    }

    /**
     * Runs {@code action} in {@code onError}, on the thread that delivers it, before {@link #ended} completes; what it
     * throws is thrown from {@code onError} (a subscriber's bug, for the tests of how the client bears one).
     */
    public Recorder inOnError(Consumer<Throwable> action) {
        this.inOnError = action;
        return this;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription.complete(subscription);
        if (initialDemand > 0) {
            subscription.request(initialDemand);
        }
    }

    @Override
    public void onNext(GenerationEvent item) {
        events.add(item);
    }

    @Override
    public void onError(Throwable throwable) {
        failure = throwable;
        try {
            inOnError.accept(throwable);
        } finally {
            ended.complete(throwable);
        }
    }

    @Override
    public void onComplete() {
        completed = true;
        ended.complete(null);
    }

    /** The subscription, once {@code onSubscribe} came. */
    public CompletableFuture<Flow.Subscription> subscription() {
        return subscription;
    }

    /** Completes at the terminal signal: with {@code onError}'s throwable, or with null for {@code onComplete}. */
    public CompletableFuture<Throwable> ended() {
        return ended;
    }

    /** The tokens' text, concatenated. */
    public String text() {
        return events.stream().filter(e -> e instanceof GenerationEvent.Token)
                .map(e -> ((GenerationEvent.Token) e).text()).collect(Collectors.joining());
    }

    public GenerationEvent last() {
        return events.get(events.size() - 1);
    }
}
