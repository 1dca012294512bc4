package io.connectionswap.director.registry;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.quic.ConnectionProblems;
import io.connectionswap.protocol.quic.Peers;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the heartbeat sender on a worker link's heartbeat stream, which consumes the echoes: any other frame the
 * worker sends there (a bug, or a worker of another version) is refused as a client's control stream refuses one
 * ({@code UNEXPECTED_MESSAGE}): dropped, with a WARN naming the worker and the frame, once per link connection (its
 * repeats at DEBUG, a reminder counting them every few minutes). The stream stays and its echoes go on counting:
 * the worker's liveness is its echoes' to tell, and a worker that answers every heartbeat is alive. No ERROR goes back:
 * a worker ends a stream on which it reads anything but a heartbeat, so one would end the stream and silence its
 * echoes, and the link would be lost for a frame. (Bytes that are no frame break the stream, and the link is lost:
 * {@link WorkerLink}.)
 */
@ChannelHandler.Sharable
final class HeartbeatStreamFrames extends ChannelInboundHandlerAdapter {

    static final HeartbeatStreamFrames INSTANCE = new HeartbeatStreamFrames();

    private static final Logger log = LoggerFactory.getLogger(HeartbeatStreamFrames.class);
    /** The longest part of a worker's ERROR message logged. */
    private static final int MAX_PROBLEM_CHARS = 200;

    private HeartbeatStreamFrames() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            refused(ctx, msg);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private static void refused(ChannelHandlerContext ctx, Object msg) {
        RepeatedProblems.Occurrence occurrence = ConnectionProblems.occurred(ctx.channel(), log,
                ErrorCode.UNEXPECTED_MESSAGE);
        LogLine line = LogLine.at(log, occurrence.level()).field("worker.addr", Peers.address(ctx.channel()))
                .field("stream.id", ctx.channel() instanceof QuicStreamChannel stream ? stream.streamId() : null)
                .field("frame", msg instanceof Message message ? message.frameType() : msg.getClass().getSimpleName())
                .field("error", ErrorCode.UNEXPECTED_MESSAGE);
        if (msg instanceof StreamError error) {
            // the worker ending the stream: its echoes stop next, and the echo timeout loses the link; this says why
            line.quoted("problem", error.code() + " " + LogLine.printable(error.message(), MAX_PROBLEM_CHARS));
        }
        occurrence.withRepeats(line)
                .log("worker sent a frame other than HEARTBEAT on a link heartbeat stream; frame dropped, the stream "
                        + "stays");
    }
}
