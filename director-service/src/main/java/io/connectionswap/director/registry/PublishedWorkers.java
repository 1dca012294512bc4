package io.connectionswap.director.registry;

import java.util.Collection;
import java.util.List;

/**
 * The immutable snapshot of a {@link WorkerRegistry}'s workers that every routing loop picks from, and what is read
 * from it (any thread): the worker for a stream, whether any worker serves or names a model, counts for health
 * endpoints and gauges. Replaced as a whole on the registry's loop ({@link #publish}).
 */
final class PublishedWorkers {

    private final WorkerSelector selector;
    private volatile List<WorkerEndpoint> snapshot = List.of();

    PublishedWorkers(WorkerSelector selector) {
        this.selector = selector;
    }

    /** Publishes {@code workers} as the snapshot every routing loop picks from. */
    void publish(Collection<WorkerEndpoint> workers) {
        snapshot = List.copyOf(workers);
    }

    /** The workers of the snapshot (immutable). */
    List<WorkerEndpoint> all() {
        return snapshot;
    }

    long healthyCount() {
        return snapshot.stream().filter(WorkerEndpoint::eligible).count();
    }

    int size() {
        return snapshot.size();
    }

    /** Stream channels held by the director's links to the snapshot's workers. */
    int heldStreams() {
        int held = 0;
        for (WorkerEndpoint worker : snapshot) {
            WorkerConnection link = worker.link();
            if (link != null) {
                held += Math.max(0, link.streamsHeld());
            }
        }
        return held;
    }

    /** A worker serving {@code model} (null: any) for a stream; null when none is eligible. */
    WorkerEndpoint pick(String avoidLabel, String model) {
        return selector.pick(snapshot, avoidLabel, model);
    }

    /** Whether any worker, healthy or not, serves {@code model}. */
    boolean anyServes(String model) {
        for (WorkerEndpoint worker : snapshot) {
            if (worker.serves(model)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a worker named {@code model} among the models it registered (not one assumed to serve any). */
    boolean anyNames(String model) {
        for (WorkerEndpoint worker : snapshot) {
            if (worker.models().contains(model)) {
                return true;
            }
        }
        return false;
    }
}
