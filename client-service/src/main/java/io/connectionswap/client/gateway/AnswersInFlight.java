package io.connectionswap.client.gateway;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The completion answers running now (streamed or collected), so that a gateway shutting down can end those its
 * graceful shutdown would otherwise cut ({@link GatewayShutdown}): {@link #endAll()} stops each one's generation (the
 * cancel reaches the director and the worker) and fails it with an error the answer still tells its client: the
 * stream's error event, or the HTTP error of an answer not begun.
 */
final class AnswersInFlight {

    private final Set<Answer> running = new HashSet<>();
    private boolean ending;
    private CompletableFuture<Void> noneRunning;

    /**
     * {@code generation}, registered while subscribed: ended by {@link #endAll()} with the error {@code ending}
     * gives, after the events it delivered before.
     */
    <T> Flux<T> endable(Flux<T> generation, Supplier<? extends Throwable> ending) {
        return Flux.defer(() -> {
            Answer answer = new Answer();
            add(answer);
            return generation.takeUntilOther(answer.end.asMono())
                    .concatWith(Mono.defer(() -> answer.ended ? Mono.error(ending.get()) : Mono.empty()))
                    .doFinally(signal -> remove(answer));
        });
    }

    /** Ends every answer running, and from now on every new one at once; returns how many it ended. */
    int endAll() {
        Set<Answer> ended;
        synchronized (this) {
            ending = true;
            ended = Set.copyOf(running);
        }
        int count = 0;
        for (Answer answer : ended) {
            count += answer.end() ? 1 : 0;
        }
        return count;
    }

    /**
     * Serves answers again after {@link #endAll()} (the context started again after a stop): new ones run, and the next
     * {@link #noneRunning()} waits for those running then.
     */
    synchronized void reopen() {
        ending = false;
        noneRunning = null;
    }

    /** Completes once no answer runs (at once when none does now). */
    synchronized CompletableFuture<Void> noneRunning() {
        if (noneRunning == null) {
            noneRunning = new CompletableFuture<>();
        }
        if (running.isEmpty()) {
            noneRunning.complete(null);
        }
        return noneRunning;
    }

    synchronized int running() {
        return running.size();
    }

    private void add(Answer answer) {
        boolean endNow;
        synchronized (this) {
            running.add(answer);
            endNow = ending;
        }
        if (endNow) {
            answer.end();
        }
    }

    private synchronized void remove(Answer answer) {
        running.remove(answer);
        if (running.isEmpty() && noneRunning != null) {
            noneRunning.complete(null);
        }
    }

    /** One answer: {@code end} stops its generation, {@code ended} says the error follows. */
    private static final class Answer {

        private final Sinks.One<Boolean> end = Sinks.one();
        private volatile boolean ended;

        /** True when this call ended it (not already ended). */
        boolean end() {
            ended = true;
            return end.tryEmitValue(true).isSuccess();
        }
    }
}
