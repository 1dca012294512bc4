package io.connectionswap.worker.quic;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/** The generation streams this worker is serving; what a drain waits on. */
@Component
public class ActiveStreams {

    private final Set<GenerationStreamHandler> streams = ConcurrentHashMap.newKeySet();

    void add(GenerationStreamHandler stream) {
        streams.add(stream);
    }

    void remove(GenerationStreamHandler stream) {
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
     * wrote ({@link GenerationStreamHandler#cutByDrainTimeout()}); each stays counted until the director's FIN closes
     * it. Returns how many were open.
     */
    int cutAll() {
        int cut = 0;
        for (GenerationStreamHandler stream : Set.copyOf(streams)) {
            stream.cutByDrainTimeout();
            cut++;
        }
        return cut;
    }
}
