package io.connectionswap.director.registry;

import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The director's pooled QUIC connection to one worker (mutual TLS: the director presents its certificate and
 * verifies the worker's). All relayed streams to the worker are opened on it; a heartbeat stream watches it, and
 * the connection's UDP socket is connected so a dead worker process is noticed at the next packet.
 */
final class WorkerLink implements WorkerConnection {

    private final QuicChannel connection;

    private WorkerLink(QuicChannel connection) {
        this.connection = connection;
    }

    /**
     * Connects; {@code onLost} runs (on the connection's event loop) when the connection closes for any reason
     * or misses its heartbeats, {@code onEcho} at every heartbeat echo (the worker process is alive).
     */
    static Future<WorkerLink> connect(QuicConnector connector, EventLoop loop, InetSocketAddress remote,
                                      String tlsName, io.connectionswap.protocol.frame.FrameLimits frameLimits, Duration heartbeatInterval,
                                      Duration heartbeatTimeout, Consumer<String> onLost, LongConsumer onEcho) {
        Promise<WorkerLink> result = loop.newPromise();
        connector.connect(remote, tlsName, null, null).addListener(connected -> {
            if (!connected.isSuccess()) {
                result.setFailure(connected.cause());
                return;
            }
            QuicChannel connection = (QuicChannel) connected.getNow();
            WorkerLink link = new WorkerLink(connection);
            connection.closeFuture().addListener(closed -> onLost.accept(link.lostReason));
            connection.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
                @Override
                protected void initChannel(QuicStreamChannel stream) {
                    StreamPipelines.messages(stream, frameLimits, Heartbeats.sender(heartbeatInterval,
                            heartbeatTimeout, () -> link.close("no heartbeat echo for " + heartbeatTimeout), onEcho));
                    stream.pipeline().addLast(new ChannelInboundHandlerAdapter());
                }
            });
            result.setSuccess(link);
        });
        return result;
    }

    private volatile String lostReason = "connection closed";

    @Override
    public boolean isUp() {
        return connection.isActive();
    }

    /** Opens a bidirectional stream to the worker with {@code handler} as its pipeline initializer. */
    @Override
    public Future<QuicStreamChannel> openStream(ChannelHandler handler) {
        return connection.createStream(QuicStreamType.BIDIRECTIONAL, handler);
    }

    @Override
    public int streamsHeld() {
        return QuicStreams.held(connection);
    }

    @Override
    public void close(String reason) {
        lostReason = reason;
        connection.close();
    }
}
