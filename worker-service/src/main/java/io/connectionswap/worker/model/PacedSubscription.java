package io.connectionswap.worker.model;

import io.connectionswap.protocol.model.ModelEvent;
import java.time.Duration;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Emits a {@link Source}'s events at a fixed pace, the first at once, and only while the subscriber has demand: a
 * tick without demand emits nothing and the event stays due (backpressure). Ends after a {@link ModelEvent.Finished}.
 * {@link Pacing} places the ticks after the first.
 * All emission happens on the scheduler's thread.
 */
final class PacedSubscription implements Flow.Subscription {

    /** The events of one generation. */
    interface Source {
        ModelEvent next();

        /** After a Text event: it was the last one, and the next call returns the final event. */
        boolean lastWasFinal();
    }

    private final Flow.Subscriber<? super ModelEvent> subscriber;
    private final ScheduledExecutorService scheduler;
    private final Duration interval;
    private final Source source;
    private final Pacing pacing;
    private long demand;
    private boolean done;
    private ScheduledFuture<?> ticks;

    PacedSubscription(Flow.Subscriber<? super ModelEvent> subscriber, ScheduledExecutorService scheduler,
                      Duration interval, Source source, Pacing pacing) {
        this.subscriber = subscriber;
        this.pacing = pacing;
        this.scheduler = scheduler;
        this.interval = interval;
        this.source = source;
    }

    void start() {
        scheduler.execute(() -> {
            tick();
            if (!done) {
                ticks = scheduler.scheduleAtFixedRate(this::tick,
                        pacing.secondTickDelayNanos(System.nanoTime(), interval), interval.toNanos(),
                        TimeUnit.NANOSECONDS);
            }
        });
    }

    @Override
    public void request(long n) {
        if (n <= 0) {
            scheduler.execute(() -> fail(new IllegalArgumentException("request(" + n + "): expected > 0 (rule 3.9)")));
            return;
        }
        scheduler.execute(() -> demand = demand + n < 0 ? Long.MAX_VALUE : demand + n);
    }

    @Override
    public void cancel() {
        scheduler.execute(this::stop);
    }

    private void tick() {
        if (done || demand == 0) {
            return;
        }
        try {
            ModelEvent event = source.next();
            emit(event);
            if (event instanceof ModelEvent.Text && source.lastWasFinal() && !done && demand > 0) {
                emit(source.next()); // the END follows the last token at once, as it always has
            }
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void emit(ModelEvent event) {
        demand--;
        subscriber.onNext(event);
        if (event instanceof ModelEvent.Finished) {
            stop();
            subscriber.onComplete();
        }
    }

    private void fail(Throwable cause) {
        if (!done) {
            stop();
            subscriber.onError(cause);
        }
    }

    private void stop() {
        done = true;
        if (ticks != null) {
            ticks.cancel(false);
        }
    }
}
