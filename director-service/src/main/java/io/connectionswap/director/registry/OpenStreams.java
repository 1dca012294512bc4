package io.connectionswap.director.registry;

import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The relayed streams a worker connection has open, counted from the moment one is asked for until it closes, and
 * its retirement ({@link WorkerConnection#retire}): from then on no stream opens, and a task runs once none is open.
 * The count and the retirement are one atomic value, so a stream either opens before the retirement (and the task
 * waits for it) or is refused. Thread-safe: streams open and close on every routing loop.
 */
final class OpenStreams {

    /** The bit of {@link #state} set once retired (the rest is the count of open streams). */
    private static final int RETIRED = Integer.MIN_VALUE;

    private final AtomicInteger state = new AtomicInteger();
    private final AtomicReference<Runnable> whenNone = new AtomicReference<>();

    /**
     * Opens a stream with {@code open} unless retired (then null, and {@code open} is not called); it counts until it
     * closes (or fails to open).
     */
    Future<QuicStreamChannel> open(Supplier<Future<QuicStreamChannel>> open) {
        if (!opened()) {
            return null;
        }
        Future<QuicStreamChannel> opening;
        try {
            opening = open.get();
        } catch (RuntimeException | Error e) {
            closed();
            throw e;
        }
        opening.addListener(done -> {
            if (done.isSuccess()) {
                ((QuicStreamChannel) done.getNow()).closeFuture().addListener(closed -> closed());
            } else {
                closed();
            }
        });
        return opening;
    }

    /** A stream is about to open: it counts from now, unless retired (false: it must not open). */
    boolean opened() {
        int now;
        do {
            now = state.get();
            if ((now & RETIRED) != 0) {
                return false;
            }
        } while (!state.compareAndSet(now, now + 1));
        return true;
    }

    void closed() {
        if (state.decrementAndGet() == RETIRED) {
            runTask(); // retired, and the last one closed
        }
    }

    /**
     * No stream opens from now on; runs {@code task} once none is open: now, or when the last one closes (on its
     * loop). A later task replaces one still waiting.
     */
    void retire(Runnable task) {
        whenNone.set(task);
        if (state.updateAndGet(now -> now | RETIRED) == RETIRED) {
            runTask(); // none open (the last one may have closed just before the task was set)
        }
    }

    private void runTask() {
        Runnable task = whenNone.getAndSet(null);
        if (task != null) {
            task.run();
        }
    }
}
