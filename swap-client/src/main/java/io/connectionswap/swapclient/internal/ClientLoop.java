package io.connectionswap.swapclient.internal;

import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that owns the connection and every generation's state. An interface so that the generation logic
 * can be tested with a manual clock.
 */
public interface ClientLoop {

    boolean inLoop();

    void execute(Runnable task);

    /** Runs {@code task} after {@code delayNanos}; the returned handle cancels it. */
    Cancellable schedule(Runnable task, long delayNanos);

    long nanoTime();

    /** A scheduled task that can be called off. */
    interface Cancellable {
        void cancel();
    }

    static ClientLoop of(EventLoop loop) {
        return new ClientLoop() {
            @Override
            public boolean inLoop() {
                return loop.inEventLoop();
            }

            @Override
            public void execute(Runnable task) {
                loop.execute(task);
            }

            @Override
            public Cancellable schedule(Runnable task, long delayNanos) {
                var future = loop.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
                return () -> future.cancel(false);
            }

            @Override
            public long nanoTime() {
                return System.nanoTime();
            }
        };
    }
}
