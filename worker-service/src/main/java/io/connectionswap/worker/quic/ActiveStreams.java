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
}
