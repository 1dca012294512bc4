package io.connectionswap.director.relay;

import io.connectionswap.director.registry.WorkerEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Finds hung workers and stalled streams among the sessions being relayed, by {@link StallPolicy}. It only decides; the
 * {@link Relay} acts. A worker that hangs, or that is silent on every one of its streams, leaves rotation and all its
 * streams move; when only some of a live worker's streams are silent, only those move. A stream whose client reads
 * slowly is held back by back-pressure, not stalled, and a worker with such a stream is not silent on every stream:
 * only its silent streams move. A stream held back only after its worker had sent nothing on it for longer than its
 * limit (a PAUSE after the model stopped) excuses nothing: it is silent like any other. When every worker in rotation
 * is silent at once, their hangs are held until the policy's longer limit (Envoy's outlier detection likewise never
 * ejects more than its maximum share of a cluster): the director's host or network is the likelier cause, and there
 * would be no worker to move to. Routing loop only.
 */
final class StallWatch {

    /** What to do. */
    sealed interface Decision permits WorkerStalled, StreamStalled, HangsHeld {
    }

    /** Nothing to do yet: these workers seem to hang, but every worker in rotation is silent with them. */
    record HangsHeld(List<WorkerEndpoint> workers, long silentNanos, long limitNanos) implements Decision {
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

    /**
     * The decisions of one round over {@code sessions}; {@code inRotation} are the workers that take new streams
     * (healthy), with or without a session here.
     */
    List<Decision> decide(long nowNanos, Iterable<RelaySession> sessions, Collection<WorkerEndpoint> inRotation) {
        Set<WorkerEndpoint> hung = new LinkedHashSet<>();
        Map<WorkerEndpoint, List<RelaySession>> silent = new LinkedHashMap<>();
        // workers with a stream its client holds back while they were sending on it: no frame comes there, so the
        // worker's last frame on any stream says nothing of whether it is silent on every stream
        Set<WorkerEndpoint> heldBack = new LinkedHashSet<>();
        for (RelaySession session : sessions) {
            if (!session.relaying()) {
                continue;
            }
            WorkerEndpoint worker = session.worker();
            if (hung.contains(worker) || policy.hung(nowNanos, worker.lastAliveNanos())) {
                hung.add(worker);
                continue;
            }
            long limit = limit(session);
            long silentSince = session.silence().silentSinceNanos();
            if (!session.clientCanTakeMore()) {
                long heldSince = session.workerHeldSinceNanos(); // -1: full, no frame of the worker held yet
                if (heldSince == -1 || heldSince - session.silence().silentWhileReadSinceNanos() <= limit) {
                    heldBack.add(worker);
                    // a slow client holds the worker back: that is back-pressure, not a stall (a client that takes
                    // nothing is the slow-client rule's, in SessionWatch, held frame or not)
                    continue;
                }
                // held back only after its worker had sent nothing on it for longer than its limit (a PAUSE after
                // the model stopped): that proves nothing, the stream is silent like one the director reads
                silentSince = session.silence().silentWhileReadSinceNanos();
            }
            if (nowNanos - silentSince > limit) {
                silent.computeIfAbsent(worker, key -> new ArrayList<>()).add(session);
            }
        }
        List<Decision> decisions = new ArrayList<>();
        // the workers' silences start up to a heartbeat apart: whether all are quiet, not all past the limit yet
        boolean everyoneQuiet = (!hung.isEmpty() || !silent.isEmpty()) && everyoneQuiet(nowNanos, inRotation);
        List<WorkerEndpoint> held = new ArrayList<>();
        long longestSilence = 0;
        for (WorkerEndpoint worker : hung) {
            long silence = nowNanos - worker.lastAliveNanos();
            boolean holdable = everyoneQuiet && inRotation.contains(worker);
            if (held(holdable, silence)) {
                held.add(worker);
                longestSilence = Math.max(longestSilence, silence);
                continue;
            }
            long limit = holdable ? policy.collectiveHangLimitNanos() : policy.hangLimitNanos();
            decisions.add(new WorkerStalled(worker, "no heartbeat echo and no frame for more than "
                    + TimeUnit.NANOSECONDS.toMillis(limit) + " ms: the worker hangs"));
        }
        for (Map.Entry<WorkerEndpoint, List<RelaySession>> entry : silent.entrySet()) {
            WorkerEndpoint worker = entry.getKey();
            List<RelaySession> stalled = entry.getValue();
            long shortest = Long.MAX_VALUE;
            RelaySession first = stalled.get(0);
            for (RelaySession session : stalled) {
                long limit = limit(session);
                if (limit < shortest) {
                    shortest = limit;
                    first = session;
                }
            }
            long silence = nowNanos - worker.lastAliveNanos();
            boolean holdsBack = heldBack.contains(worker);
            boolean silentOnEveryStream = !holdsBack && nowNanos - worker.lastFrameNanos() > shortest;
            if ((silentOnEveryStream || holdsBack) && held(everyoneQuiet && inRotation.contains(worker), silence)) {
                // silent on every stream it can send on, its last heartbeat echo a little later, and so is every other
                // worker: the director's host or network is the likelier cause
                held.add(worker);
                longestSilence = Math.max(longestSilence, silence);
            } else if (silentOnEveryStream) {
                // nothing from this worker on any stream although it is alive: its model is stuck, take it out
                decisions.add(new WorkerStalled(worker, describe(first) + " on any stream"));
            } else {
                // the worker answers on other streams: move only the silent ones
                for (RelaySession session : stalled) {
                    decisions.add(new StreamStalled(session, describe(session) + " on this stream"));
                }
            }
        }
        if (!held.isEmpty()) {
            decisions.add(new HangsHeld(held, longestSilence, policy.collectiveHangLimitNanos()));
        }
        return decisions;
    }

    /** Whether a worker silent this long is held: it may be ({@code holdable}) and is not past the longer limit. */
    private boolean held(boolean holdable, long silenceNanos) {
        return holdable && silenceNanos <= policy.collectiveHangLimitNanos();
    }

    /** Whether every worker in rotation (at least one) is quiet on its link and streams ({@link StallPolicy#quiet}). */
    private boolean everyoneQuiet(long nowNanos, Collection<WorkerEndpoint> inRotation) {
        for (WorkerEndpoint worker : inRotation) {
            if (!policy.quiet(nowNanos, worker.lastAliveNanos())) {
                return false;
            }
        }
        return !inRotation.isEmpty();
    }

    private long limit(RelaySession session) {
        return policy.streamLimitNanos(session.worker().tokenInterval(), session.silence().handedOff(),
                session.firstTokenRelayed());
    }

    private String describe(RelaySession session) {
        return policy.describeStreamLimit(session.worker().tokenInterval(), session.silence().handedOff(),
                session.firstTokenRelayed());
    }
}
