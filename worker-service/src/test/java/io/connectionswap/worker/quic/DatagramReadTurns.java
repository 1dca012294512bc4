package io.connectionswap.worker.quic;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Put first on a QUIC server's socket (its connections' {@code parent()}): whether the socket's event loop is, now,
 * in the turn of a datagram it read: from the read to the tasks queued while reading and the tasks those queue (Netty
 * fires a closed stream's {@code channelInactive} from a task its connection's close queues, once or, after a write,
 * twice removed). A stream closed as its connection reads the peer's CONNECTION_CLOSE is closed in that turn; one
 * closed by QUIC's draining timer, three probe timeouts after the read, is not. Read it on the socket's loop only.
 */
final class DatagramReadTurns extends ChannelInboundHandlerAdapter {

    private int turnsOpen;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        turnsOpen++;
        try {
            ctx.fireChannelRead(msg);
        } finally {
            ctx.executor().execute(() -> ctx.executor().execute(() -> turnsOpen--));
        }
    }

    /** Whether a datagram's turn is open now (call on the socket's loop). */
    boolean inReadTurn() {
        return turnsOpen > 0;
    }
}
