package io.connectionswap.protocol.quic;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Placed before the QUIC codec on a UDP socket: when the socket's read batch is complete, lets the codec finish it
 * (every datagram's streams read, their frames relayed into connections {@link CoalescedSends#hold} deferred), then
 * sends every held connection at once. The director puts it on its links to workers, so the tokens one read from a
 * worker brings for one client connection leave in one send of that connection (one {@code sendmmsg}, or one UDP GSO
 * write, on epoll) instead of one send per token.
 */
@Sharable
public final class SendHeldAfterRead extends ChannelInboundHandlerAdapter {

    public static final SendHeldAfterRead INSTANCE = new SendHeldAfterRead();

    private SendHeldAfterRead() {
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.fireChannelReadComplete();
        CoalescedSends.sendAllHeld();
    }
}
