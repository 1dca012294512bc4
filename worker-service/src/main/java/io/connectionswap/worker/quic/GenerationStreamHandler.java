package io.connectionswap.worker.quic;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.model.TokenModel;
import io.connectionswap.protocol.quic.StreamFailures;
import io.connectionswap.worker.metrics.WorkerMeters;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one stream from the director: reads the {@link WorkerAssignment}, answers CONNECTED, then emits tokens
 * {@code resumeAfter+1 .. maxTokens} one interval apart (the first at once) and ends with END. Everything runs on
 * the stream's event loop. One instance per stream.
 */
final class GenerationStreamHandler extends SimpleChannelInboundHandler<Message> {

    private static final Logger log = LoggerFactory.getLogger(GenerationStreamHandler.class);
    /** Per-token lines go to their own logger so operators can silence them without losing lifecycle lines. */
    private static final Logger tokenLog = LoggerFactory.getLogger("io.connectionswap.worker.tokens");

    private final WorkerStreamContext context;
    private WorkerAssignment assignment;
    private Channel channel;
    private ScheduledFuture<?> emitter;
    private int nextSequence;
    private boolean finished;

    GenerationStreamHandler(WorkerStreamContext context) {
        this.context = context;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        if (assignment != null) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE,
                    "unexpected " + message.frameType() + " frame after the assignment");
        }
        if (!(message instanceof WorkerAssignment handoff)) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE,
                    "expected an ASSIGNMENT frame first, got " + message.frameType());
        }
        if (context.draining()) {
            log.warn("worker={} stream.id={} connection.id={} refusing handoff while draining", context.label(),
                    handoff.streamId(), handoff.connectionId());
            StreamFailures.endStream(ctx.channel(), new StreamError(ErrorCode.SHUTTING_DOWN, context.label() + " is draining"));
            return;
        }
        start(ctx, handoff);
    }

    private void start(ChannelHandlerContext ctx, WorkerAssignment handoff) {
        assignment = handoff;
        channel = ctx.channel();
        nextSequence = handoff.resumeAfter() + 1;
        context.activeStreams().add(this);
        context.meters().handoffAccepted();
        context.failureSimulation().servingStarted();
        log.info("worker={} stream.id={} connection.id={} generation.id={} prompt={} resume.after={} accepted handoff from director",
                context.label(), handoff.streamId(), handoff.connectionId(), handoff.generationId(), handoff.prompt(),
                handoff.resumeAfter());
        ctx.writeAndFlush(new Connected(context.label(), handoff.connectionId(), handoff.streamId(),
                handoff.generationId(), handoff.resumeAfter()));
        long periodNanos = context.tokenInterval().toNanos();
        emitter = ctx.executor().scheduleAtFixedRate(this::emit, 0, periodNanos, TimeUnit.NANOSECONDS);
    }

    private void emit() {
        if (finished || !channel.isActive()) {
            stop();
            return;
        }
        if (!channel.isWritable()) {
            return; // the director reads slower than we emit; the token stays due until the stream drains
        }
        if (nextSequence > assignment.maxTokens()) {
            finish();
            return;
        }
        int sequence = nextSequence++;
        TokenModel model = context.model();
        String text = model.token(assignment.prompt(), sequence);
        channel.writeAndFlush(MessageCodec.encodeToken(channel.alloc(), sequence, text), channel.voidPromise());
        context.meters().tokenSent();
        if (tokenLog.isInfoEnabled()) {
            tokenLog.info("worker={} stream.id={} connection.id={} seq={} sending token", context.label(),
                    assignment.streamId(), assignment.connectionId(), sequence);
        }
        if (nextSequence > assignment.maxTokens()) {
            finish();
        }
    }

    private void finish() {
        finished = true;
        stop();
        channel.writeAndFlush(new End(assignment.generationId(), assignment.maxTokens()))
                .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
        log.debug("worker={} stream.id={} generation.id={} generation complete", context.label(),
                assignment.streamId(), assignment.generationId());
    }

    private void stop() {
        if (emitter != null) {
            emitter.cancel(false);
            emitter = null;
        }
        context.activeStreams().remove(this);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (assignment != null && !finished) {
            log.info("worker={} stream.id={} connection.id={} next.seq={} director ended stream", context.label(),
                    assignment.streamId(), assignment.connectionId(), nextSequence);
        }
        finished = true;
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
            if (assignment == null) {
                ctx.close(); // the peer finished sending before any assignment: nothing to serve
            } else {
                // nothing follows the assignment, so the director's FIN means: stop, the stream moved or ended
                if (!finished) {
                    log.info("worker={} stream.id={} connection.id={} next.seq={} director ended stream",
                            context.label(), assignment.streamId(), assignment.connectionId(), nextSequence);
                }
                finished = true;
                stop();
                QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
                if (stream.isOutputShutdown()) {
                    ctx.close();
                } else {
                    stream.shutdownOutput().addListener(done -> ctx.close());
                }
            }
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof io.netty.handler.codec.quic.QuicStreamResetException) {
            ctx.close(); // the director cancelled the stream (it moved the generation elsewhere)
            return;
        }
        finished = true;
        stop();
        StreamFailures.endStream(ctx.channel(), log, "worker", cause);
    }
}
