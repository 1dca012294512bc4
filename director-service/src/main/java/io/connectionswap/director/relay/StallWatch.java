package io.connectionswap.director.relay;

import io.connectionswap.director.registry.WorkerEndpoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Finds hung workers and stalled streams among the sessions being relayed, by {@link StallPolicy}. It only decides;
 * the {@link Relay} acts. A worker that hangs, or that is silent on every one of its streams, leaves rotation and all
 * its streams move; when only some of a live worker's streams are silent, only those move. A stream whose client
 * reads slowly is held back by back-pressure, not stalled. Routing loop only.
 */
final class StallWatch {

    /** What to do. */
    sealed interface Decision permits WorkerStalled, StreamStalled {
    }

    /** Take the worker out of rotation; every stream on it moves (reason stall). */
    record WorkerStalled(WorkerEndpoint worker, String detail) implements Decision {
    }

    /** Move this stream only (reason stall). */
    record StreamStalled(RelaySession session, String detail) implements Decision {
    }

    private final StallPolicy policy;

    StallWatch(StallPolicy policy) {
        this.policy = policy;
    }

    List<Decision> decide(long nowNanos, Iterable<RelaySession> sessions) {
        Set<WorkerEndpoint> hung = new LinkedHashSet<>();
        Map<WorkerEndpoint, List<RelaySession>> silent = new LinkedHashMap<>();
        for (RelaySession session : sessions) {
            if (!session.relaying()) {
                continue;
            }
            WorkerEndpoint worker = session.worker();
            if (hung.contains(worker) || policy.hung(nowNanos, worker.lastAliveNanos())) {
                hung.add(worker);
                continue;
            }
            if (!session.clientCanTakeMore()) {
                continue; // a slow client holds the worker back: that is back-pressure, not a stall
            }
            if (nowNanos - session.lastWorkerFrameNanos() > limit(session)) {
                silent.computeIfAbsent(worker, key -> new ArrayList<>()).add(session);
            }
        }
        List<Decision> decisions = new ArrayList<>();
        for (WorkerEndpoint worker : hung) {
            decisions.add(new WorkerStalled(worker, "no heartbeat echo and no frame for more than "
                    + TimeUnit.NANOSECONDS.toMillis(policy.hangLimitNanos()) + " ms: the worker hangs"));
        }
        silent.forEach((worker, stalled) -> {
            long shortest = Long.MAX_VALUE;
            RelaySession first = stalled.get(0);
            for (RelaySession session : stalled) {
                long limit = limit(session);
                if (limit < shortest) {
                    shortest = limit;
                    first = session;
                }
            }
            if (nowNanos - worker.lastFrameNanos() > shortest) {
                // nothing from this worker on any stream although it is alive: its model is stuck, take it out
                decisions.add(new WorkerStalled(worker, describe(first) + " on any stream"));
            } else {
                // the worker answers on other streams: move only the silent ones
                for (RelaySession session : stalled) {
                    decisions.add(new StreamStalled(session, describe(session) + " on this stream"));
                }
            }
        });
        return decisions;
    }

    private long limit(RelaySession session) {
        return policy.streamLimitNanos(session.worker().tokenInterval(), session.handedOff(),
                session.firstTokenRelayed());
    }

    private String describe(RelaySession session) {
        return policy.describeStreamLimit(session.worker().tokenInterval(), session.handedOff(),
                session.firstTokenRelayed());
    }
}
