package io.connectionswap.worker.quic;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/** The generation streams this worker is serving; what a drain waits on. */
@Component
public class ActiveStreams {

    private final Set<GenerationLeg> streams = ConcurrentHashMap.newKeySet();

    void add(GenerationLeg stream) {
        streams.add(stream);
    }

    void remove(GenerationLeg stream) {
        streams.remove(stream);
    }

    public int count() {
        return streams.size();
    }

    public boolean isEmpty() {
        return streams.isEmpty();
    }

    /**
     * The drain timed out: every stream open now ends, a generation still running with SHUTTING_DOWN behind what it
     * wrote ({@link GenerationLeg#cutByDrainTimeout()}); each stays counted until the director's FIN closes
     * it. Returns how many were open.
     */
    int cutAll() {
        int cut = 0;
        for (GenerationLeg stream : Set.copyOf(streams)) {
            stream.cutByDrainTimeout();
            cut++;
        }
        return cut;
    }
}
