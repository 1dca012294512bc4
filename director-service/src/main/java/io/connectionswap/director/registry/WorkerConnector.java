package io.connectionswap.director.registry;

import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/** Dials workers. */
@FunctionalInterface
public interface WorkerConnector {

    /**
     * Connects to {@code worker} at {@code remote}; {@code onLost} is called with a reason when the connection
     * closes or stops answering heartbeats.
     */
    Future<WorkerConnection> connect(WorkerEndpoint worker, InetSocketAddress remote, Consumer<String> onLost);

    /**
     * Where the frames of links opened from now on with a token stream go (the relays, known once they exist);
     * nothing by default: a connector without token streams.
     */
    default void routeWorkerFrames(WorkerFrames frames) {
    }
}
