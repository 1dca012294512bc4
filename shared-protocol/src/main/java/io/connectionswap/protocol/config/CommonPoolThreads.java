package io.connectionswap.protocol.config;

import java.util.concurrent.ForkJoinPool;

/**
 * Gives the JVM's common {@link ForkJoinPool} at least two threads, so that the default executor of
 * {@link java.util.concurrent.CompletableFuture} reuses threads. With one processor or two the common pool's default
 * parallelism is 1, and that executor then <em>starts a new thread per task</em>. The JDK HTTP client's
 * {@code sendAsync} completes every response there, whatever executor the client was built with: a thread started
 * and ended per request (a worker's upstream completions: 4 800 a minute at 10-token generations).
 *
 * <p>Call it first in {@code main}, before anything uses the common pool: the pool reads its parallelism once. A
 * parallelism set on the command line ({@value #PARALLELISM}) is left as it is.
 */
public final class CommonPoolThreads {

    /** The JDK's system property for the common pool's parallelism. */
    public static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    private CommonPoolThreads() {
    }

    /** @return the common pool's parallelism now in force */
    public static int atLeastTwo() {
        if (System.getProperty(PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(PARALLELISM, "2");
        }
        return ForkJoinPool.getCommonPoolParallelism();
    }
}
