package io.connectionswap.director.relay;

import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.RoutingLoopTask;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.registry.WorkerState;
import io.connectionswap.protocol.log.LogLine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's periodic round on its routing loop, half a stall minimum after the previous one ended: ends sessions
 * past their limits (a client that stopped reading, a session that lived too long), then acts on the
 * {@link StallWatch}'s decisions. A round that runs more than a period late decides nothing (the loop itself was held
 * up), but only one in a row: the round after it, a period later (the loop reads its socket meanwhile), decides, late
 * or not. A round that fails is logged and counted
 * ({@code connection_swap_task_failures_total{task="stall_watch"}}); the next round runs all the same.
 */
final class SessionWatch {

    private static final Logger log = LoggerFactory.getLogger(SessionWatch.class);

    private final WorkerRegistry registry;
    private final Collection<RelaySession> sessions;
    private final StallWatch stallWatch;
    private final LimitProperties limits;
    private final DirectorMeters meters;
    private final Runnable housekeeping;
    private final long periodNanos;
    private final LongSupplier clock;
    private final RoutingLoopTask task = new RoutingLoopTask();
    private long lastRoundNanos;
    /** The last round ran late and decided nothing: the next one decides, late or not. */
    private boolean excused;
    /** The workers whose hang this loop holds (every worker in rotation silent at once); empty when none. */
    private List<WorkerEndpoint> held = List.of();
    private long heldSinceNanos;

    SessionWatch(WorkerRegistry registry, Collection<RelaySession> sessions, StallWatch stallWatch,
                 LimitProperties limits, DirectorMeters meters, long periodNanos, Runnable housekeeping,
                 LongSupplier clock) {
        this.registry = registry;
        this.sessions = sessions;
        this.stallWatch = stallWatch;
        this.limits = limits;
        this.meters = meters;
        this.periodNanos = periodNanos;
        this.housekeeping = housekeeping;
        this.clock = clock;
    }

    /**
     * Runs a round on {@code loop}, the relay's own, a period after the previous one ended: never at a fixed rate,
     * whose rounds missed in a pause of the loop run back to back, the one after the late round deciding before the
     * loop has read its socket.
     */
    void start(io.netty.channel.EventLoop loop) {
        lastRoundNanos = clock.getAsLong();
        Duration period = Duration.ofNanos(periodNanos);
        task.withFixedDelay(loop, this::run, period, period);
    }

    void stop() {
        task.cancel();
    }

    private void run() {
        try {
            round(clock.getAsLong());
        } catch (RuntimeException | AssertionError e) {
            meters.taskFailed(DirectorMeters.Task.STALL_WATCH);
            LogLine.error(log).field("task", "stall_watch").quoted("problem", e.toString()).cause(e)
                    .log("stall watch round failed; the watch goes on");
        }
    }

    void round(long now) {
        long lateness = now - lastRoundNanos - periodNanos;
        lastRoundNanos = now;
        housekeeping.run();
        enforceLimits(now);
        if (lateness > periodNanos && !excused) {
            // this loop itself was held up (GC pause, overload): frames and heartbeat echoes may be waiting unread in
            // our own socket, so silence from workers proves nothing this round; once in a row: the loop reads its
            // socket between two rounds, and a loop late at every round must still find a silent worker by the clock
            excused = true;
            LogLine.debug(log).field("late.ms", TimeUnit.NANOSECONDS.toMillis(lateness))
                    .log("stall watch ran late; skipping one round");
            return;
        }
        excused = false;
        StallWatch.HangsHeld holding = null;
        List<WorkerEndpoint> takenOut = new ArrayList<>(0);
        for (StallWatch.Decision decision : stallWatch.decide(now, sessions, inRotation())) {
            if (decision instanceof StallWatch.WorkerStalled stalled) {
                takenOut.add(stalled.worker());
                registry.stalled(stalled.worker(), stalled.detail());
            } else if (decision instanceof StallWatch.StreamStalled stalled) {
                stalled.session().swap(SwapReason.STALL, stalled.detail());
            } else if (decision instanceof StallWatch.HangsHeld hangs) {
                holding = hangs;
            }
        }
        reportHold(holding, takenOut, now);
    }

    private List<WorkerEndpoint> inRotation() {
        List<WorkerEndpoint> healthy = new ArrayList<>();
        for (WorkerEndpoint worker : registry.workers()) {
            if (worker.state() == WorkerState.HEALTHY) {
                healthy.add(worker);
            }
        }
        return healthy;
    }

    /** A line when this loop begins to hold silent workers' hang, and one when it stops (they answered, or left). */
    private void reportHold(StallWatch.HangsHeld holding, List<WorkerEndpoint> takenOut, long now) {
        if (holding != null && held.isEmpty()) {
            heldSinceNanos = now;
            LogLine.warn(log).field("workers", labels(holding.workers()))
                    .field("silent.ms", TimeUnit.NANOSECONDS.toMillis(holding.silentNanos()))
                    .field("hang.limit.ms", TimeUnit.NANOSECONDS.toMillis(holding.limitNanos()))
                    .log("every worker in rotation is silent at once; not calling them hung before the longer limit "
                            + "(the director's host or network is the likelier cause)");
        } else if (holding == null && !held.isEmpty()) {
            // taken out this round (the longer limit) or by the health poller
            boolean left = held.stream().anyMatch(worker -> takenOut.contains(worker)
                    || worker.state() != WorkerState.HEALTHY);
            LogLine.info(log).field("workers", labels(held)).field("held.ms", TimeUnit.NANOSECONDS.toMillis(now - heldSinceNanos))
                    .field("outcome", left ? "taken_out" : "answered")
                    .log("no longer holding the hang of silent workers");
        }
        held = holding == null ? List.of() : holding.workers();
    }

    private static String labels(List<WorkerEndpoint> workers) {
        return String.join(",", workers.stream().map(WorkerEndpoint::label).toList());
    }

    private void enforceLimits(long now) {
        long slowNanos = limits.slowClientTimeout().toNanos();
        long lifetimeNanos = limits.maxSessionDuration().toNanos();
        List<RelaySession> tooSlow = null;
        List<RelaySession> tooOld = null;
        for (RelaySession session : sessions) {
            long blockedSince = session.clientBlockedSinceNanos();
            if (blockedSince != -1 && now - blockedSince > slowNanos) {
                tooSlow = add(tooSlow, session);
            } else if (now - session.silence().startedNanos() > lifetimeNanos) {
                tooOld = add(tooOld, session);
            }
        }
        if (tooSlow != null) {
            for (RelaySession session : tooSlow) {
                meters.limitHit(DirectorMeters.Limit.SLOW_CLIENT);
                session.clientTooSlow("the client read nothing of its stream for more than "
                        + limits.slowClientTimeout().toMillis() + " ms (CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT)");
            }
        }
        if (tooOld != null) {
            for (RelaySession session : tooOld) {
                meters.limitHit(DirectorMeters.Limit.SESSION_DURATION);
                session.lifetimeExceeded("the stream lived longer than " + limits.maxSessionDuration()
                        + " (CONNECTION_SWAP_MAX_SESSION_DURATION)");
            }
        }
    }

    private static List<RelaySession> add(List<RelaySession> list, RelaySession session) {
        List<RelaySession> result = list == null ? new ArrayList<>() : list;
        result.add(session);
        return result;
    }
}
