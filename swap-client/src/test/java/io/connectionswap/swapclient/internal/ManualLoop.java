package io.connectionswap.swapclient.internal;

import java.util.ArrayList;
import java.util.List;

/** A {@link ClientLoop} with a hand-moved clock: tasks run at once, scheduled ones when {@link #advance} passes them. */
final class ManualLoop implements ClientLoop {

    record Scheduled(long dueNanos, long delayNanos, Runnable task, boolean[] cancelled) {
    }

    final List<Scheduled> scheduled = new ArrayList<>();
    private long now = 1_000_000_000L;

    @Override
    public boolean inLoop() {
        return true;
    }

    @Override
    public void execute(Runnable task) {
        task.run();
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        boolean[] cancelled = {false};
        scheduled.add(new Scheduled(now + delayNanos, delayNanos, task, cancelled));
        return () -> cancelled[0] = true;
    }

    @Override
    public long nanoTime() {
        return now;
    }

    /** Scheduled tasks not cancelled and not run yet. */
    List<Scheduled> pending() {
        return scheduled.stream().filter(s -> !s.cancelled()[0]).toList();
    }

    void advance(long nanos) {
        long target = now + nanos;
        while (true) {
            Scheduled next = pending().stream().filter(s -> s.dueNanos() <= target)
                    .min(java.util.Comparator.comparingLong(Scheduled::dueNanos)).orElse(null);
            if (next == null) {
                break;
            }
            now = Math.max(now, next.dueNanos());
            next.cancelled()[0] = true; // ran
            next.task().run();
        }
        now = target;
    }
}
