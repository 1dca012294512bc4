package io.connectionswap.protocol.quic;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the UDP datagrams of the QUIC sockets it sits on (before the QUIC codec: every packet quiche sends or
 * receives). One counter may serve several sockets (all links to workers). The director publishes them as {@code
 * connection_swap_datagrams_total{leg,direction}}: datagrams per relayed token is the figure that sending cost
 * follows. A UDP GSO write ({@link QuicTransport}) counts as the datagrams the kernel cuts it into; {@link #writes()}
 * counts the writes.
 */
@Sharable
public final class DatagramCounter extends ChannelDuplexHandler {

    private final LongAdder sent = new LongAdder();
    private final LongAdder writes = new LongAdder();
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
        if (msg instanceof SegmentedDatagramPacket segmented) {
            int segment = segmented.segmentSize();
            int bytes = segmented.content().readableBytes();
            sent.add(segment <= 0 ? 1 : (bytes + segment - 1) / segment);
            writes.increment();
        } else if (msg instanceof DatagramPacket) {
            sent.increment();
            writes.increment();
        }
        ctx.write(msg, promise);
    }

    /** Datagrams sent: a UDP GSO write counts as the datagrams it is cut into. */
    public long sent() {
        return sent.sum();
    }

    /** Writes handed to the socket: one per datagram, or one for the several datagrams of a UDP GSO write. */
    public long writes() {
        return writes.sum();
    }

    public long received() {
        return received.sum();
    }
}
