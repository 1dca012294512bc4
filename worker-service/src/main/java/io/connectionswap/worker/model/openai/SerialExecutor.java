package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.log.LogLine;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the tasks given to it one after another, in order, on a shared executor: the state of one upstream stream
 * is confined to its serial executor without a lock and without a thread of its own. A task that throws is logged
 * and the next one runs.
 */
final class SerialExecutor implements Executor {

    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor executor;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pending = new AtomicInteger();

    SerialExecutor(Executor executor) {
        this.executor = executor;
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (pending.getAndIncrement() == 0) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                // the backend is closing: nothing runs any more
                tasks.clear();
                LogLine.debug(log).quoted("problem", e.toString()).log("upstream executor is shut down; task dropped");
            }
        }
    }

    private void drain() {
        do {
            Runnable task = tasks.poll();
            if (task == null) {
                continue; // cleared on shutdown
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                LogLine.warn(log).quoted("problem", e.toString()).cause(e).log("upstream stream task failed");
            }
        } while (pending.decrementAndGet() != 0);
    }
}
