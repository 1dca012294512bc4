package io.connectionswap.director.registry;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;

/** The director's connection to one worker, on which relayed streams are opened. */
public interface WorkerConnection {

    boolean isUp();

    /** Opens a bidirectional stream whose pipeline {@code initializer} sets up. */
    Future<QuicStreamChannel> openStream(ChannelHandler initializer);

    void close(String reason);

    /** Stream channels the connection holds now (Netty's map), or -1 when that cannot be read. */
    int streamsHeld();
}
