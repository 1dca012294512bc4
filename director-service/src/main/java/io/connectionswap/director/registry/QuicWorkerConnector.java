package io.connectionswap.director.registry;

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
    private final io.connectionswap.protocol.frame.FrameLimits frameLimits;
    private final Duration heartbeatInterval;
    private final Duration heartbeatTimeout;

    public QuicWorkerConnector(QuicConnector connector, EventLoop loop, io.connectionswap.protocol.frame.FrameLimits frameLimits, Duration heartbeatInterval,
                               Duration heartbeatTimeout) {
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
                onLost, worker::echoed).addListener(done -> {
                    if (done.isSuccess()) {
                        result.setSuccess((WorkerLink) done.getNow());
                    } else {
                        result.setFailure(done.cause());
                    }
                });
        return result;
    }
}
