package io.connectionswap.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Random faults of worker processes, one every {@code 2..6 s}: {@code kill -9} (restarted 1-4 s later), SIGTERM (the
 * worker drains and exits; restarted 1-3 s after its exit), SIGSTOP (SIGCONT 1-5 s later) or a partition of its QUIC
 * port (healed 1-6 s later). At least {@code minUp} workers are left untouched at any time. {@link #heal} undoes
 * whatever is still broken.
 */
final class ChaosMonkey {

    enum Fault { KILL9, SIGTERM, STOP, PARTITION }

    /** A worker process and its fixed QUIC port; {@code busy} while a fault of it is under way. */
    static final class Target {
        final ChildProcess process;
        final int quicPort;
        volatile boolean busy;
        volatile boolean partitioned;

        Target(ChildProcess process, int quicPort) {
            this.process = process;
            this.quicPort = quicPort;
        }
    }

    private final List<Target> targets;
    private final int minUp;
    private final boolean partitions;
    private final Random random;
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(4, runnable -> {
        Thread thread = new Thread(runnable, "chaos-monkey");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<Fault, AtomicLong> counts = new ConcurrentHashMap<>();
    private volatile boolean paused;
    private volatile boolean stopped;

    ChaosMonkey(List<Target> targets, int minUp, boolean partitions, long seed) {
        this.targets = targets;
        this.minUp = minUp;
        this.partitions = partitions;
        this.random = new Random(seed);
    }

    void start() {
        schedule();
    }

    /** No new faults while paused (faults under way still end as planned). */
    void pause(boolean pause) {
        this.paused = pause;
    }

    private void schedule() {
        if (!stopped) {
            timer.schedule(this::strike, 2000 + random.nextInt(4000), TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void strike() {
        try {
            List<Target> idle = targets.stream().filter(t -> !t.busy && t.process.ready()).toList();
            if (paused || stopped || idle.size() <= minUp) {
                return;
            }
            Target target = idle.get(random.nextInt(idle.size()));
            Fault[] choices = partitions ? Fault.values() : new Fault[] {Fault.KILL9, Fault.SIGTERM, Fault.STOP};
            Fault fault = choices[random.nextInt(choices.length)];
            target.busy = true;
            counts.computeIfAbsent(fault, key -> new AtomicLong()).incrementAndGet();
            log("%s on %s", fault, target.process.name());
            switch (fault) {
                case KILL9 -> {
                    target.process.kill9();
                    later(1000 + random.nextInt(3000), () -> restart(target));
                }
                case SIGTERM -> {
                    target.process.sigterm();
                    timer.execute(() -> {
                        target.process.waitForExit(Duration.ofSeconds(40));
                        if (target.process.isAlive()) {
                            target.process.kill9();
                        }
                        later(1000 + random.nextInt(2000), () -> restart(target));
                    });
                }
                case STOP -> {
                    target.process.freeze();
                    later(1000 + random.nextInt(4000), () -> {
                        target.process.resume();
                        target.busy = false;
                    });
                }
                case PARTITION -> {
                    Partitions.drop(target.quicPort);
                    target.partitioned = true;
                    later(1000 + random.nextInt(5000), () -> {
                        Partitions.heal(target.quicPort);
                        target.partitioned = false;
                        target.busy = false;
                    });
                }
            }
        } catch (RuntimeException e) {
            log("fault failed: %s", e);
        } finally {
            schedule();
        }
    }

    private void restart(Target target) {
        if (!target.process.isAlive()) {
            target.process.start();
        }
        target.busy = false;
    }

    private void later(long millis, Runnable task) {
        timer.schedule(task, millis, TimeUnit.MILLISECONDS);
    }

    /** Stops striking and undoes every fault still under way: partitions healed, frozen workers resumed, dead ones started. */
    void heal() {
        stopped = true;
        synchronized (this) {
            Partitions.removeAll();
            for (Target target : targets) {
                target.partitioned = false;
                if (target.process.frozen()) {
                    target.process.resume();
                }
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (targets.stream().anyMatch(t -> t.busy) && System.nanoTime() < deadline) {
            sleep(100);
        }
        for (Target target : targets) {
            if (!target.process.isAlive()) {
                target.process.start();
            }
            target.busy = false;
        }
        timer.shutdownNow();
    }

    Map<String, Long> counts() {
        Map<String, Long> copy = new TreeMap<>();
        counts.forEach((fault, count) -> copy.put(fault.name().toLowerCase(java.util.Locale.ROOT), count.get()));
        return copy;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void log(String format, Object... arguments) {
        System.out.printf("[soak %tT] %s%n", System.currentTimeMillis(), String.format(format, arguments));
    }
}
