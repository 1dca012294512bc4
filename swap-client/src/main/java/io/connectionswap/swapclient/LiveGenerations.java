package io.connectionswap.swapclient;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.swapclient.internal.ClientLoop;
import io.connectionswap.swapclient.internal.GenerationRun;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The generations of one {@link SwapClient}, from subscription to the subscriber's last signal: each publisher's one
 * subscription becomes a {@link GenerationRun} started on the client's loop (or is refused), the running ones and
 * those whose last events still wait for demand are kept, and {@link #endAll} ends them when the client closes.
 */
final class LiveGenerations {

    private final ClientLoop loop;
    /** Whether the client is closed: then a subscription is refused, or a run not started yet ends at once. */
    private final BooleanSupplier closed;
    private final NewRun newRun;
    private final Set<GenerationRun> running = ConcurrentHashMap.newKeySet();
    /**
     * Generations whose subscriber has not had its terminal signal yet: the running ones, and those that ended while
     * their last events wait for demand; close() ends them all.
     */
    private final Set<GenerationRun> undelivered = ConcurrentHashMap.newKeySet();

    LiveGenerations(ClientLoop loop, BooleanSupplier closed, NewRun newRun) {
        this.loop = loop;
        this.closed = closed;
        this.newRun = newRun;
    }

    /** The generation {@code request} describes, for one subscriber; nothing happens until it subscribes. */
    Flow.Publisher<GenerationEvent> publisher(GenerationRequest request, GenerationOptions options) {
        AtomicBoolean subscribed = new AtomicBoolean();
        return subscriber -> {
            if (!subscribed.compareAndSet(false, true)) {
                refuse(subscriber, new IllegalStateException("a generation has one subscriber; subscribe to a new "
                        + "publisher to run another"));
                return;
            }
            if (closed.getAsBoolean()) {
                refuse(subscriber, closedError());
                return;
            }
            GenerationRun run = newRun.of(subscriber, request, options);
            run.whenFinished(() -> running.remove(run));
            run.whenDelivered(() -> undelivered.remove(run));
            subscriber.onSubscribe(run);
            try {
                loop.execute(() -> {
                    if (closed.getAsBoolean()) {
                        run.closed();
                        return;
                    }
                    if (run.isFinished()) {
                        return; // cancelled in onSubscribe: nothing to run or track
                    }
                    running.add(run);
                    undelivered.add(run);
                    run.start();
                });
            } catch (RejectedExecutionException e) { // closed meanwhile, and its event loop is gone
                subscriber.onError(closedError());
            }
        };
    }

    /** Generations running now. */
    int running() {
        return running.size();
    }

    /** Ends every generation whose subscriber has not had its terminal signal with {@code CANCELLED}; on the loop. */
    void endAll() {
        for (GenerationRun run : List.copyOf(undelivered)) {
            run.closed();
        }
    }

    /**
     * A subscription refused at once: {@code onSubscribe} on the subscribing thread (as every subscription), then
     * {@code onError} on the client's I/O thread like every other signal, or, when that thread has ended (a closed
     * client that ran its own event loop), on the subscribing thread before {@code subscribe} returns.
     */
    private void refuse(Flow.Subscriber<? super GenerationEvent> subscriber, Throwable error) {
        subscriber.onSubscribe(NoSubscription.INSTANCE);
        try {
            loop.execute(() -> subscriber.onError(error));
        } catch (RejectedExecutionException gone) {
            subscriber.onError(error);
        }
    }

    private static GenerationException closedError() {
        return new GenerationException(ErrorCode.CANCELLED, "the client is closed", 0);
    }

    /** Makes the run of a subscription, with the client's settings as they are when it subscribes. */
    @FunctionalInterface
    interface NewRun {
        GenerationRun of(Flow.Subscriber<? super GenerationEvent> subscriber, GenerationRequest request,
                         GenerationOptions options);
    }

    private enum NoSubscription implements Flow.Subscription {
        INSTANCE;

        @Override
        public void request(long n) {
        }

        @Override
        public void cancel() {
        }
    }
}
