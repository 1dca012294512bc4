package io.connectionswap.protocol.quic;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the UDP datagrams of the QUIC sockets it sits on (before the QUIC codec: every packet quiche sends or
 * receives). One counter may serve several sockets (all links to workers). The director publishes them as {@code
 * connection_swap_datagrams_total{leg,direction}}: datagrams per relayed token is the figure that sending cost
 * follows.
 */
@Sharable
public final class DatagramCounter extends ChannelDuplexHandler {

    private final LongAdder sent = new LongAdder();
    private final LongAdder received = new LongAdder();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket) {
            received.increment();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof DatagramPacket) {
            sent.increment();
        }
        ctx.write(msg, promise);
    }

    public long sent() {
        return sent.sum();
    }

    public long received() {
        return received.sum();
    }
}
