package io.connectionswap.director.registry;

import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The relayed streams a worker connection has open, counted from the moment one is asked for until it closes, and a
 * task to run once none is ({@link WorkerConnection#whenNoStreams}). Thread-safe: streams open and close on every
 * routing loop.
 */
final class OpenStreams {

    private final AtomicInteger open = new AtomicInteger();
    private final AtomicReference<Runnable> whenNone = new AtomicReference<>();

    /** A stream is asked for; {@code opened} completes with it, and it counts until it closes (or fails to open). */
    Future<QuicStreamChannel> track(Future<QuicStreamChannel> opened) {
        opened();
        opened.addListener(done -> {
            if (done.isSuccess()) {
                ((QuicStreamChannel) done.getNow()).closeFuture().addListener(closed -> closed());
            } else {
                closed();
            }
        });
        return opened;
    }

    void opened() {
        open.incrementAndGet();
    }

    void closed() {
        if (open.decrementAndGet() == 0) {
            runTask();
        }
    }

    /** Runs {@code task} once no stream is open: now, or when the last one closes (on its loop). One task at a time. */
    void whenNone(Runnable task) {
        whenNone.set(task);
        if (open.get() == 0) {
            runTask(); // the last one closed before the task was set
        }
    }

    private void runTask() {
        Runnable task = whenNone.getAndSet(null);
        if (task != null) {
            task.run();
        }
    }
}
