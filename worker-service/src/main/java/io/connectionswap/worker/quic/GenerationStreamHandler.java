package io.connectionswap.worker.quic;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Pause;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamFailures;
import io.connectionswap.worker.tracing.WorkerLegOutcome;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one stream from the director: reads the {@link WorkerAssignment} and starts the generation's leg on this
 * worker ({@link GenerationLeg}), which answers CONNECTED and writes the model's tokens and END (or ERROR). An
 * assignment while the worker drains is refused with SHUTTING_DOWN. The director's FIN (the stream moved or the client
 * left) cancels the model's work. Everything runs on the stream's event loop. One instance per stream.
 *
 * <p>When the director opened a token stream on this connection ({@link WorkerTokenStream}), the leg's frames go there
 * ({@link LegFrames}) and demand follows that stream's writability and the director's {@link Pause} messages on this
 * stream (its client reads nothing); this stream then carries only the assignment and pauses in, at most an ERROR
 * out, and the FINs.
 */
final class GenerationStreamHandler extends SimpleChannelInboundHandler<Message> {

    private static final Logger log = LoggerFactory.getLogger(GenerationStreamHandler.class);

    private final WorkerStreamContext context;
    private final GenerationLeg leg;

    GenerationStreamHandler(WorkerStreamContext context) {
        this.context = context;
        this.leg = new GenerationLeg(context);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        if (leg.started() && message instanceof Pause pause) {
            leg.paused(pause.paused());
            return;
        }
        if (leg.started()) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE,
                    "unexpected " + message.frameType() + " frame after the assignment");
        }
        if (!(message instanceof WorkerAssignment handoff)) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE,
                    "expected an ASSIGNMENT frame first, got " + message.frameType());
        }
        if (context.draining()) {
            LogLine.warn(log).field("worker", context.label()).field("stream.id", handoff.streamId())
                    .field("connection.id", handoff.connectionId()).log("refusing handoff while draining");
            leg.stop();
            StreamFailures.endStream(ctx.channel(), new StreamError(ErrorCode.SHUTTING_DOWN, context.label() + " is "
                    + "draining"));
            return;
        }
        leg.start(ctx.channel(), handoff);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        leg.streamWritabilityChanged();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        leg.endedByDirector();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            // nothing follows the assignment, so the director's FIN means: stop, the stream moved or ended
            leg.endedByDirector();
            QuicStreams.finish(ctx.channel());
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        leg.stop(); // counted until the stream closes (GenerationLeg.start), its ERROR read by then
        if (cause instanceof QuicStreamResetException) {
            QuicStreams.peerReset((QuicStreamChannel) ctx.channel()); // the director cancelled the stream
            leg.traceEnd(WorkerLegOutcome.STOPPED, null, null);
            return;
        }
        leg.traceEnd(WorkerLegOutcome.STREAM_ERROR, String.valueOf(StreamFailures.codeOf(cause)),
                StreamFailures.describe(cause));
        if (StreamFailures.codeOf(cause) == ErrorCode.REQUEST_TOO_LARGE) {
            String problem = StreamFailures.describe(cause);
            LogLine.warn(log).field("worker", context.label()).field("stream.id", QuicStreams.logId(ctx.channel()))
                    .field("error", "REQUEST_TOO_LARGE").quoted("problem", problem)
                    .log("refusing oversize assignment; CONNECTION_SWAP_MAX_REQUEST_BYTES sets the limit");
            StreamFailures.endStream(ctx.channel(), new StreamError(ErrorCode.REQUEST_TOO_LARGE, problem));
            return;
        }
        StreamFailures.endStream(ctx.channel(), log, "worker", cause);
    }
}
