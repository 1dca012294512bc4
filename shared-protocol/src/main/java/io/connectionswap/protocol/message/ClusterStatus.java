package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;
import java.util.List;

/** The director's answer to a {@link StatusRequest}: every worker it knows, healthy or not. */
public record ClusterStatus(String directorId, List<WorkerStatus> workers) implements Message {

    public ClusterStatus {
        Message.require(directorId, "directorId");
        workers = workers == null ? List.of() : List.copyOf(workers);
    }

    /**
     * One worker as the director sees it.
     *
     * @param state         PENDING, HEALTHY, UNHEALTHY or DRAINING
     * @param eligible      gets new streams now
     * @param activeStreams streams relayed from it now
     * @param models        model names it serves
     */
    public record WorkerStatus(String label, String address, String state, boolean eligible, int activeStreams,
                               List<String> models) {

        public WorkerStatus {
            Message.require(label, "label");
            models = models == null ? List.of() : List.copyOf(models);
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.STATUS;
    }
}
