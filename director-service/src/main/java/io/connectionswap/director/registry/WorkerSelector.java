package io.connectionswap.director.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Picks the worker for a new or resumed stream: among the eligible workers that serve the requested model, the one
 * with the fewest active streams, round robin among equals. For a named model, workers that named it in their
 * registration come first; one that never told its models (found through DNS, not registered yet) is picked only when
 * none of those can be: it may serve another model, and answer MODEL_NOT_FOUND. The worker to avoid (the one that just
 * failed this generation) is skipped unless it is the only eligible one. A worker whose link has no stream credit for
 * the calling routing loop ({@link StreamRoom}) is picked only when no other can be: its open then fails at once, and
 * the client asks again. Any routing loop may pick at once: each worker's load is read once per pick.
 */
final class WorkerSelector {

    private final AtomicLong turn = new AtomicLong();
    private final Predicate<WorkerEndpoint> hasRoom;
    private final Runnable passedOverWorkerWithoutRoom;

    /** A selector for workers whose links always have room (tests of the rest). */
    WorkerSelector() {
        this(worker -> true, () -> { });
    }

    /**
     * {@code hasRoom}: whether a worker's link can take a new stream from the calling routing loop;
     * {@code passedOverWorkerWithoutRoom}: runs once for a pick that found one or more workers without room.
     */
    WorkerSelector(Predicate<WorkerEndpoint> hasRoom, Runnable passedOverWorkerWithoutRoom) {
        this.hasRoom = hasRoom;
        this.passedOverWorkerWithoutRoom = passedOverWorkerWithoutRoom;
    }

    WorkerEndpoint pick(Collection<WorkerEndpoint> workers, String avoidLabel, String model) {
        RoomSeen room = new RoomSeen();
        WorkerEndpoint picked = pick(workers, avoidLabel, worker -> model == null || worker.models().contains(model),
                room);
        if (picked == null && model != null) {
            picked = pick(workers, avoidLabel, worker -> worker.models().isEmpty(), room);
        }
        if (room.withoutRoom) {
            passedOverWorkerWithoutRoom.run(); // once per stream, however many workers or looks
        }
        return picked;
    }

    private WorkerEndpoint pick(Collection<WorkerEndpoint> workers, String avoidLabel, Predicate<WorkerEndpoint> serves,
                                RoomSeen room) {
        WorkerEndpoint picked = pickAvoidingIfCan(workers, avoidLabel, serves.and(room));
        // none has room: one at its stream limit, whose open fails at once (the client is told to ask again)
        return picked != null ? picked : pickAvoidingIfCan(workers, avoidLabel, serves);
    }

    private WorkerEndpoint pickAvoidingIfCan(Collection<WorkerEndpoint> workers, String avoidLabel,
                                             Predicate<WorkerEndpoint> serves) {
        WorkerEndpoint picked = pickAvoiding(workers, avoidLabel, serves);
        return picked != null || avoidLabel == null ? picked : pickAvoiding(workers, null, serves);
    }

    private WorkerEndpoint pickAvoiding(Collection<WorkerEndpoint> workers, String avoidLabel,
                                       Predicate<WorkerEndpoint> serves) {
        List<WorkerEndpoint> leastLoaded = new ArrayList<>(workers.size());
        int fewest = Integer.MAX_VALUE;
        for (WorkerEndpoint worker : workers) {
            if (!worker.eligible() || worker.label().equals(avoidLabel) || !serves.test(worker)) {
                continue;
            }
            int load = worker.activeStreams();
            if (load < fewest) {
                fewest = load;
                leastLoaded.clear();
            }
            if (load == fewest) {
                leastLoaded.add(worker);
            }
        }
        if (leastLoaded.isEmpty()) {
            return null;
        }
        return leastLoaded.get((int) Math.floorMod(turn.getAndIncrement(), (long) leastLoaded.size()));
    }

    /** {@link #hasRoom} for one pick, noting whether it found a worker without room. */
    private final class RoomSeen implements Predicate<WorkerEndpoint> {
        boolean withoutRoom;

        @Override
        public boolean test(WorkerEndpoint worker) {
            boolean has = hasRoom.test(worker);
            withoutRoom |= !has;
            return has;
        }
    }
}
