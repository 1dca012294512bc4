package io.connectionswap.director.registry;

import java.util.Collection;

/**
 * Picks the worker for a new or resumed stream: among the eligible workers that serve the requested model, the one
 * with the fewest active streams, round robin among equals. The worker to avoid (the one that just failed this generation) is skipped unless it is the only
 * eligible one. Not thread-safe: used on the routing loop only.
 */
final class WorkerSelector {

    private long turn;

    WorkerEndpoint pick(Collection<WorkerEndpoint> workers, String avoidLabel, String model) {
        WorkerEndpoint picked = pickAvoiding(workers, avoidLabel, model);
        return picked != null || avoidLabel == null ? picked : pickAvoiding(workers, null, model);
    }

    private WorkerEndpoint pickAvoiding(Collection<WorkerEndpoint> workers, String avoidLabel, String model) {
        WorkerEndpoint best = null;
        int tiedCount = 0;
        int fewest = Integer.MAX_VALUE;
        for (WorkerEndpoint worker : workers) {
            if (!worker.eligible() || worker.label().equals(avoidLabel) || !worker.serves(model)) {
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
            if (worker.eligible() && !worker.label().equals(avoidLabel) && worker.serves(model)
                    && worker.sessions().size() == fewest) {
                if (index++ == chosen) {
                    best = worker;
                    break;
                }
            }
        }
        return best;
    }
}
