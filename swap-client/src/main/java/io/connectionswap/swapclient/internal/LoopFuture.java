package io.connectionswap.swapclient.internal;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A future the client's loop completes: waiting for it on that loop (in a subscriber's callback) could only end in
 * the caller's timeout, or never, since the loop is the waiting thread. Such a wait fails at once instead, saying so;
 * the stages derived from it check the same. Waiting elsewhere, and a wait for one already complete, are as usual.
 */
public final class LoopFuture<T> extends CompletableFuture<T> {

    private final EventExecutor loop;

    public LoopFuture(EventExecutor loop) {
        this.loop = loop;
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        checkNotOnLoop();
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        checkNotOnLoop();
        return super.get(timeout, unit);
    }

    @Override
    public T join() {
        checkNotOnLoop();
        return super.join();
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new LoopFuture<>(loop);
    }

    private void checkNotOnLoop() {
        if (!isDone() && loop.inEventLoop()) {
            throw new IllegalStateException("waiting on the client's I/O thread (a subscriber's or listener's "
                    + "callback) for what only that thread can complete would block it for good; react to it "
                    + "instead (thenAccept, whenComplete)");
        }
    }
}
