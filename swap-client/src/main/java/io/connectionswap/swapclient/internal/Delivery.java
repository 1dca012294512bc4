package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.swapclient.GenerationEvent;
import java.util.ArrayDeque;
import java.util.concurrent.Flow;
import org.slf4j.event.Level;

/**
 * Hands one generation's events to its subscriber as it asks for them, in order, then the terminal signal. Tells its
 * owner to stop reading while {@value #HIGH_WATER} events wait and to read again once no more than
 * {@value #LOW_WATER} do, so a slow subscriber slows the stream instead of filling memory. Loop-confined.
 */
final class Delivery {

    static final int HIGH_WATER = 64;
    static final int LOW_WATER = 16;

    /** Reading on or off, as the queue fills and drains. */
    interface ReadControl {
        void read(boolean enabled);
    }

    private final Flow.Subscriber<? super GenerationEvent> subscriber;
    private final ReadControl reads;
    private final Runnable onSubscriberFailure;
    private final Runnable onEnd;
    private final ArrayDeque<GenerationEvent> queue = new ArrayDeque<>();
    private long demand;
    private boolean delivering;
    private boolean paused;
    private boolean complete;
    private Throwable failure;
    private boolean terminated;
    private boolean cancelled;

    /** @param onEnd runs once, when the terminal signal has been given or the subscriber cancelled */
    Delivery(Flow.Subscriber<? super GenerationEvent> subscriber, ReadControl reads, Runnable onSubscriberFailure,
             Runnable onEnd) {
        this.subscriber = subscriber;
        this.reads = reads;
        this.onSubscriberFailure = onSubscriberFailure;
        this.onEnd = onEnd;
    }

    /** Reading is paused now (a new leg starts paused too). */
    boolean paused() {
        return paused;
    }

    boolean terminated() {
        return terminated;
    }

    void request(long n) {
        demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
        drain();
    }

    void add(GenerationEvent event) {
        if (cancelled) {
            return;
        }
        queue.add(event);
        if (!paused && queue.size() >= HIGH_WATER) {
            paused = true;
            reads.read(false);
        }
        drain();
    }

    /**
     * {@code last}, the generation's last event, after the queued events, then {@code onComplete}. The completion is
     * known before {@code last} is handed over: a client closed in {@code onNext(last)} does not override it
     * ({@link #closed}).
     */
    void completeWith(GenerationEvent last) {
        complete = true;
        add(last);
    }

    /** {@code onError} after the queued events. */
    void fail(Throwable cause) {
        failure = cause;
        drain();
    }

    /**
     * {@code onError} now, without demand, the queued events dropped: for a subscriber that broke the rules (a
     * {@code request} of 0 or less, which it will not follow with another) and for the client's close, after which
     * no {@code request} can be served. Nothing when the terminal signal was already given.
     */
    void failNow(Throwable cause) {
        queue.clear();
        failure = cause; // wins over a completion not yet signalled
        drain();
    }

    /**
     * The client's close: {@link #failNow}, except for a completed generation whose events, the last one included,
     * have all been handed over (a subscriber that closes the client in {@code onNext(Completed)}): its
     * {@code onComplete}, which needs no demand, follows as it would have.
     */
    void closed(Throwable cause) {
        if (complete && queue.isEmpty()) {
            return;
        }
        failNow(cause);
    }

    /** The subscriber cancelled: nothing more is delivered. */
    void cancel() {
        boolean ended = cancelled || terminated;
        cancelled = true;
        queue.clear();
        if (!ended) {
            onEnd.run();
        }
    }

    private void drain() {
        if (delivering || terminated || cancelled) {
            return;
        }
        delivering = true;
        try {
            while (!cancelled && !terminated) {
                if (!queue.isEmpty() && demand > 0) {
                    demand--;
                    GenerationEvent event = queue.poll();
                    try {
                        subscriber.onNext(event);
                    } catch (Throwable e) {
                        subscriberFailed(e);
                        return;
                    }
                } else if (queue.isEmpty() && (complete || failure != null)) {
                    terminated = true;
                    signalTerminal();
                    onEnd.run();
                } else {
                    break;
                }
            }
        } finally {
            delivering = false;
        }
        if (paused && queue.size() <= LOW_WATER && !cancelled) {
            paused = false;
            reads.read(true);
        }
    }

    /**
     * A subscriber that throws from {@code onNext}, anything (a checked exception a Kotlin subscriber or Lombok's
     * {@code @SneakyThrows} lets through, an {@code Error}), breaks rule 2.13 and is considered cancelled: the
     * generation is cancelled (its stream ends on the director) and the subscriber gets nothing more. The throwable
     * stops here: thrown on, it would reach the stream's read path, which would take it for a bad frame from the
     * director and resume the generation, or close the connection's shared token stream and disturb every generation
     * on it. Netty would only log it there too, so a {@link VirtualMachineError} is not thrown on either: logged at
     * ERROR, with the others at WARN.
     */
    private void subscriberFailed(Throwable e) {
        subscriberProblem(e).log("subscriber threw from onNext; cancelling");
        onSubscriberFailure.run();
    }

    /**
     * A subscriber that throws from its terminal signal (anything, as from {@code onNext}) breaks rule 2.13; it must
     * not stop the caller's work.
     */
    private void signalTerminal() {
        try {
            if (failure != null) {
                subscriber.onError(failure);
            } else {
                subscriber.onComplete();
            }
        } catch (Throwable e) {
            subscriberProblem(e).log("subscriber threw from {}; ignored", failure != null ? "onError" : "onComplete");
        }
    }

    /** What a subscriber threw, with its stack trace (the subscriber's bug is in it). */
    private static LogLine subscriberProblem(Throwable e) {
        return LogLine.at(GenerationRun.log, e instanceof VirtualMachineError ? Level.ERROR : Level.WARN)
                .quoted("problem", e.toString()).cause(e);
    }
}
