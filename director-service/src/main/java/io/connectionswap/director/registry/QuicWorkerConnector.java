package io.connectionswap.director.registry;

import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.QuicConnector;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Dials workers over QUIC with the director's certificate (mutual TLS), as {@link WorkerLink}s whose connections are
 * shared among the routing loops.
 */
public final class QuicWorkerConnector implements WorkerConnector {

    private final List<QuicConnector> connectors;
    private final EventLoop loop;
    private final FrameLimits frameLimits;
    private final Duration heartbeatInterval;
    private final Duration heartbeatTimeout;
    private final int connectionsPerWorker;
    private final boolean tokenStreams;
    private volatile WorkerFrames workerFrames;

    /**
     * {@code connectors}: one per routing loop, opening its sockets there; {@code loop}: the registry's;
     * {@code connectionsPerWorker}: QUIC connections of each worker link, over which its streams are spread;
     * {@code tokenStreams}: links to workers that registered the token-stream feature carry their tokens on a token
     * stream per connection, once {@link #routeWorkerFrames} said where they go.
     */
    public QuicWorkerConnector(List<QuicConnector> connectors, EventLoop loop, FrameLimits frameLimits,
                               Duration heartbeatInterval, Duration heartbeatTimeout, int connectionsPerWorker,
                               boolean tokenStreams) {
        this.tokenStreams = tokenStreams;
        if (connectionsPerWorker < 1) {
            throw new IllegalArgumentException("connectionsPerWorker: " + connectionsPerWorker + " (expected: >= 1)");
        }
        this.connectionsPerWorker = connectionsPerWorker;
        this.connectors = List.copyOf(connectors);
        this.loop = loop;
        this.frameLimits = frameLimits.withoutRequests(); // a worker sends no request on its link's streams
        this.heartbeatInterval = heartbeatInterval;
        this.heartbeatTimeout = heartbeatTimeout;
    }

    @Override
    public Future<WorkerConnection> connect(WorkerEndpoint worker, InetSocketAddress remote, Consumer<String> onLost) {
        Promise<WorkerConnection> result = loop.newPromise();
        WorkerFrames frames = workerFrames;
        WorkerLink.TokenStreamFrames tokens = tokenStreams && frames != null
                && worker.supports(WorkerRegistration.TOKEN_STREAM) ? new WorkerLink.TokenStreamFrames(worker, frames)
                : null;
        WorkerLink.connect(connectors, loop, remote, worker.tlsName(), frameLimits, heartbeatInterval, heartbeatTimeout,
                connectionsPerWorker, onLost, worker::echoed, tokens).addListener(done -> {
                    if (done.isSuccess()) {
                        result.setSuccess((WorkerLink) done.getNow());
                    } else {
                        result.setFailure(done.cause());
                    }
                });
        return result;
    }

    @Override
    public void routeWorkerFrames(WorkerFrames frames) {
        this.workerFrames = frames;
    }
}
