package io.connectionswap.director.registry;

import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.quic.QuicConnector;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Consumer;

/** Dials workers over QUIC with the director's certificate (mutual TLS), as {@link WorkerLink}s. */
public final class QuicWorkerConnector implements WorkerConnector {

    private final QuicConnector connector;
    private final EventLoop loop;
    private final FrameLimits frameLimits;
    private final Duration heartbeatInterval;
    private final Duration heartbeatTimeout;
    private final int connectionsPerWorker;

    /** {@code connectionsPerWorker}: QUIC connections of each worker link, over which its streams are spread. */
    public QuicWorkerConnector(QuicConnector connector, EventLoop loop, FrameLimits frameLimits,
                               Duration heartbeatInterval, Duration heartbeatTimeout, int connectionsPerWorker) {
        if (connectionsPerWorker < 1) {
            throw new IllegalArgumentException("connectionsPerWorker: " + connectionsPerWorker + " (expected: >= 1)");
        }
        this.connectionsPerWorker = connectionsPerWorker;
        this.connector = connector;
        this.loop = loop;
        this.frameLimits = frameLimits;
        this.heartbeatInterval = heartbeatInterval;
        this.heartbeatTimeout = heartbeatTimeout;
    }

    @Override
    public Future<WorkerConnection> connect(WorkerEndpoint worker, InetSocketAddress remote, Consumer<String> onLost) {
        Promise<WorkerConnection> result = loop.newPromise();
        WorkerLink.connect(connector, loop, remote, worker.tlsName(), frameLimits, heartbeatInterval, heartbeatTimeout,
                connectionsPerWorker, onLost, worker::echoed).addListener(done -> {
                    if (done.isSuccess()) {
                        result.setSuccess((WorkerLink) done.getNow());
                    } else {
                        result.setFailure(done.cause());
                    }
                });
        return result;
    }
}
