package io.connectionswap.director.registry;

import java.util.Collection;

/**
 * Picks the worker for a new or resumed stream: the eligible worker with the fewest active streams, round robin
 * among equals. The worker to avoid (the one that just failed this generation) is skipped unless it is the only
 * eligible one. Not thread-safe: used on the routing loop only.
 */
final class WorkerSelector {

    private long turn;

    WorkerEndpoint pick(Collection<WorkerEndpoint> workers, String avoidLabel) {
        WorkerEndpoint picked = pickAvoiding(workers, avoidLabel);
        return picked != null || avoidLabel == null ? picked : pickAvoiding(workers, null);
    }

    private WorkerEndpoint pickAvoiding(Collection<WorkerEndpoint> workers, String avoidLabel) {
        WorkerEndpoint best = null;
        int tiedCount = 0;
        int fewest = Integer.MAX_VALUE;
        for (WorkerEndpoint worker : workers) {
            if (!worker.eligible() || worker.label().equals(avoidLabel)) {
                continue;
            }
            int load = worker.sessions().size();
            if (load < fewest) {
                fewest = load;
                tiedCount = 1;
            } else if (load == fewest) {
                tiedCount++;
            }
        }
        if (tiedCount == 0) {
            return null;
        }
        long chosen = Math.floorMod(turn++, tiedCount);
        int index = 0;
        for (WorkerEndpoint worker : workers) {
            if (worker.eligible() && !worker.label().equals(avoidLabel) && worker.sessions().size() == fewest) {
                if (index++ == chosen) {
                    best = worker;
                    break;
                }
            }
        }
        return best;
    }
}
