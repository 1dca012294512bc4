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
}
