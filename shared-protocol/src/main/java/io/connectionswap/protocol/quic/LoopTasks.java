package io.connectionswap.protocol.quic;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** Handing work to an event loop (or any executor) that may already have stopped because the process is stopping. */
public final class LoopTasks {

    private LoopTasks() {
    }

    /**
     * Runs {@code task} on {@code executor}, or drops it when the executor has stopped: at shutdown a callback that
     * reports to another loop (a closed connection, a finished poll) finds that loop gone, and has no one to tell.
     *
     * @return false when the task was dropped
     */
    public static boolean executeUnlessStopped(Executor executor, Runnable task) {
        try {
            executor.execute(task);
            return true;
        } catch (RejectedExecutionException stopped) {
            return false;
        }
    }
}
