package io.connectionswap.protocol.quic.testing;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Put before the QUIC codec on a client's sockets ({@code QuicConnector}'s socket handlers, one loop): for each close
 * of a socket (it closes with its connection), whether it came while the socket was reading a datagram it received.
 * A connection that closes as it reads its peer's CONNECTION_CLOSE says true; one closed by QUIC's draining timer
 * afterwards, false.
 */
@ChannelHandler.Sharable
public final class SocketClosesWhileReading extends ChannelDuplexHandler {

    /** One entry per socket close, in order: whether it came while reading. */
    public final List<Boolean> closes = new CopyOnWriteArrayList<>();
    private boolean reading;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        try {
            ctx.fireChannelRead(msg);
        } finally {
            reading = false;
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        closes.add(reading);
        ctx.close(promise);
    }
}
