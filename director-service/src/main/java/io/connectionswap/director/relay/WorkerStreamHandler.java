package io.connectionswap.director.relay;

import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import io.netty.util.ReferenceCountUtil;

/**
 * Receives the worker's side of one relay session, on the stream the director opened to the worker: frames to the
 * session, the worker's end, reset or bad frame as the session's worker stream ending.
 */
final class WorkerStreamHandler extends ChannelInboundHandlerAdapter {
    private final RelaySession session;

    WorkerStreamHandler(RelaySession session) {
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof RawFrame frame) {
            session.fromWorker(frame);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            session.workerStreamEnded("worker closed the stream before END");
            // our FIN too if not sent yet; with both FINs Netty closes and releases the stream
            QuicStreams.finish((QuicStreamChannel) ctx.channel());
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.workerStreamEnded("worker stream closed before END");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
        if (cause instanceof QuicStreamResetException reset) {
            session.workerStreamEnded("worker reset the stream (code " + reset.applicationProtocolCode() + ")");
            QuicStreams.peerReset(stream);
        } else {
            session.workerStreamEnded("bad frame from worker: " + StreamFailures.describe(cause));
            QuicStreams.abort(stream, StreamFailures.codeOf(cause));
        }
    }
}
