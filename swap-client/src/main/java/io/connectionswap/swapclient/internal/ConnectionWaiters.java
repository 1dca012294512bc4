package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.HostPort;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What waits for {@link DirectorLink}'s connection: tasks (a generation's leg, a resume) run once it is up, and the
 * futures of {@link DirectorLink#whenConnected} (readiness checks), completed then or failed when the link stops.
 * Loop-confined.
 */
final class ConnectionWaiters {

    private final Set<Runnable> waiters = new LinkedHashSet<>();
    /** The futures of {@link #readinessCheck} still waiting: failed when the link stops. */
    private final Set<CompletableFuture<Void>> readinessChecks = new LinkedHashSet<>();

    /** Runs {@code onConnected} once, when the next connection is up, unless cancelled before. */
    ClientLoop.Cancellable await(Runnable onConnected) {
        waiters.add(onConnected);
        return () -> waiters.remove(onConnected);
    }

    /** Completes {@code connected} when the next connection is up; {@link #stopped} fails it. */
    void readinessCheck(CompletableFuture<Void> connected) {
        readinessChecks.add(connected);
        await(() -> {
            readinessChecks.remove(connected);
            connected.complete(null);
        });
    }

    /** A connection to {@code director} is up: runs every task waiting for it, each once, in the order they came. */
    void connected(HostPort director) {
        List<Runnable> ready = new ArrayList<>(waiters);
        waiters.clear();
        for (Runnable waiter : ready) {
            try {
                waiter.run();
            } catch (RuntimeException e) { // a bug in one waiter: the others still get their connection
                LogLine.error(DirectorLink.log).field("director.addr", director).quoted("problem", String.valueOf(e))
                        .log("a task waiting for the connection failed; the others go on");
            }
        }
    }

    /** The link stopped for good: the tasks are dropped, and each readiness check fails with a {@code closed()}. */
    void stopped(Supplier<? extends Throwable> closed) {
        waiters.clear();
        List<CompletableFuture<Void>> checks = new ArrayList<>(readinessChecks);
        readinessChecks.clear();
        for (CompletableFuture<Void> check : checks) {
            check.completeExceptionally(closed.get());
        }
    }
}
