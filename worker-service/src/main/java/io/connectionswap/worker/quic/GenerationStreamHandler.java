package io.connectionswap.worker.quic;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.PromptDigest;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Pause;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.protocol.model.ModelException;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamFailures;
import io.connectionswap.worker.tracing.WorkerLegOutcome;
import io.connectionswap.worker.tracing.WorkerLegSpan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one stream from the director: reads the {@link WorkerAssignment}, answers CONNECTED, then subscribes to
 * the model's publisher and writes each text piece as the next TOKEN frame, ending with END (or ERROR when the model
 * fails). Demand follows the stream's writability ({@link ModelDemand}): a director that reads slowly slows the model
 * down. The director's FIN (the stream moved or the client left) cancels the model's work. Everything runs on the
 * stream's event loop. One instance per stream.
 *
 * <p>When the director opened a token stream on this connection ({@link WorkerTokenStream}), CONNECTED, the tokens and
 * END go there, tagged with the director's stream id, and demand follows that stream's writability and the
 * director's {@link Pause} messages on this stream (its client reads nothing); this stream then carries only the
 * assignment and pauses in, at most an ERROR out, and the FINs. After END our FIN waits for the director's (it
 * follows once the director has read END): a FIN here could otherwise overtake END on the other stream and read as a
 * worker that stopped mid-generation.
 */
final class GenerationStreamHandler extends SimpleChannelInboundHandler<Message> implements Flow.Subscriber<ModelEvent> {

    private static final Logger log = LoggerFactory.getLogger(GenerationStreamHandler.class);
    /** Per-token lines go to their own logger so operators can silence them without losing lifecycle lines. */
    private static final Logger tokenLog = LoggerFactory.getLogger("io.connectionswap.worker.tokens");
    /** How much of an upstream exception the {@code model failed} line quotes. */
    private static final int MAX_CAUSE_CHARS = 300;

    private final WorkerStreamContext context;
    private WorkerAssignment assignment;
    private Channel channel;
    /** The connection's token stream, or null: this generation's frames then go on its own stream. */
    private WorkerTokenStream tokens;
    /** What the model is asked for; null until the assignment. */
    private ModelDemand demand;
    private int nextSequence;
    private boolean finished;
    /** This leg's span, or null while tracing is off. */
    private WorkerLegSpan span;

    GenerationStreamHandler(WorkerStreamContext context) {
        this.context = context;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        if (assignment != null && message instanceof Pause pause) {
            demand.paused(pause.paused());
            return;
        }
        if (assignment != null) {
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
            finished = true;
            StreamFailures.endStream(ctx.channel(), new StreamError(ErrorCode.SHUTTING_DOWN, context.label() + " is "
                    + "draining"));
            return;
        }
        start(ctx, handoff);
    }

    private void start(ChannelHandlerContext ctx, WorkerAssignment handoff) {
        assignment = handoff;
        channel = ctx.channel();
        tokens = WorkerTokenStream.of(channel);
        demand = new ModelDemand(channel, tokens);
        GenerationRequest request = handoff.request();
        nextSequence = request.resumeAfter() + 1;
        context.activeStreams().add(this);
        // counted until the stream is closed, not when END or ERROR is written: a drain must not close the director's
        // connection while either waits for the director's flow control or a resend (its FIN after them closes it)
        channel.closeFuture().addListener(closed -> context.activeStreams().remove(this));
        context.meters().handoffAccepted();
        context.failureSimulation().servingStarted();
        if (context.tracing() != null) {
            span = context.tracing().startLeg(handoff);
            request = request.withTraceparent(span.traceparent()); // the model's upstream call is this leg's child
        }
        GenerationContext generation = GenerationContext.of(request); // a chat is rendered here, once
        LogLine.info(log).field("worker", context.label()).field("stream.id", handoff.streamId())
                .field("connection.id", handoff.connectionId()).field("generation.id", request.generationId())
                .field("prompt", PromptDigest.of(generation.prompt())).field("resume.after", request.resumeAfter())
                .log("accepted handoff from director");
        send(MessageCodec.encode(channel.alloc(), new Connected(context.label(), handoff.connectionId(),
                handoff.streamId(), request.generationId(), request.resumeAfter(), context.servedModel(request.model()))));
        context.model().generate(generation).subscribe(this);
    }

    // ---- Flow.Subscriber: the model's events, moved onto the stream's loop ----

    @Override
    public void onSubscribe(Flow.Subscription newSubscription) {
        onLoop(() -> demand.subscribed(newSubscription));
    }

    @Override
    public void onNext(ModelEvent event) {
        onLoop(() -> {
            demand.received();
            if (finished) {
                return;
            }
            if (event instanceof ModelEvent.Text text) {
                // a UTF-16 unit is at most 3 UTF-8 bytes: only a long text is measured
                int bytes = text.text().length() * 3 <= MessageCodec.MAX_TOKEN_TEXT_BYTES ? 0
                        : ByteBufUtil.utf8Bytes(text.text());
                if (bytes > MessageCodec.MAX_TOKEN_TEXT_BYTES) {
                    // sent, it would break the director's link to this worker: every stream on it would move
                    modelFailed(new ModelException(ErrorCode.INTERNAL, "model " + context.model().name()
                            + " emitted a text of " + bytes + " bytes (UTF-8) as token " + nextSequence + ", more "
                            + "than one TOKEN frame carries (" + MessageCodec.MAX_TOKEN_TEXT_BYTES + " bytes); not sent"));
                    return;
                }
                writeToken(text.text());
                demand.topUp();
            } else if (event instanceof ModelEvent.Finished end) {
                finish(new End(assignment.request().generationId(), nextSequence - 1, end.reason(), end.usage()));
            }
        });
    }

    @Override
    public void onError(Throwable failure) {
        onLoop(() -> modelFailed(failure));
    }

    /** Ends the stream with the model's failure (ERROR to the director); on the stream's loop. */
    private void modelFailed(Throwable failure) {
        if (finished) {
            return;
        }
        ErrorCode code = failure instanceof ModelException model ? model.code() : ErrorCode.INTERNAL;
        String problem = failure instanceof ModelException ? failure.getMessage() : failure.toString();
        // the upstream's URL is for this log only: the problem goes on to the director and the client
        String upstream = failure instanceof ModelException thrown ? thrown.upstream() : null;
        if (code == ErrorCode.RESUME_MISMATCH) {
            LogLine.error(log).field("worker", context.label()).field("stream.id", assignment.streamId())
                    .field("generation.id", assignment.request().generationId())
                    .field("resume.after", assignment.request().resumeAfter()).quoted("problem", problem)
                    .log("resume does not match the model's text; a token was lost, repeated or altered upstream");
        } else {
            LogLine line = LogLine.warn(log).field("worker", context.label()).field("stream.id", assignment.streamId())
                    .field("generation.id", assignment.request().generationId()).field("next.seq", nextSequence)
                    .field("error", code);
            if (upstream != null) {
                line.field("upstream.url", upstream);
                if (failure.getCause() != null) {
                    // the exception as it was, before its addresses were taken out of the problem
                    line.quoted("upstream.error", LogLine.printable(failure.getCause().toString(), MAX_CAUSE_CHARS));
                }
            }
            line.quoted("problem", problem).log("model failed");
        }
        context.meters().modelFailed(code);
        endWithError(code, problem, WorkerLegOutcome.MODEL_ERROR, problem);
    }

    /**
     * Ends the generation with an ERROR behind what it wrote, and our FIN; the stream stays counted until it closes
     * ({@link #start}): the ERROR is not dropped by a drain's end.
     */
    private void endWithError(ErrorCode code, String problem, WorkerLegOutcome outcome, String traceDetail) {
        finished = true;
        stopModel();
        StreamFailures.endStream(channel, new StreamError(code, problem));
        traceEnd(outcome, code.name(), traceDetail);
    }

    @Override
    public void onComplete() {
        onLoop(() -> {
            if (!finished) {
                // a publisher that completes without a Finished event: the model simply stopped
                finish(new End(assignment.request().generationId(), nextSequence - 1,
                        io.connectionswap.protocol.message.FinishReason.STOP, null));
            }
        });
    }

    private void writeToken(String text) {
        int sequence = nextSequence++;
        send(MessageCodec.encodeToken(channel.alloc(), sequence, text));
        context.meters().tokenSent();
        if (tokenLog.isInfoEnabled()) {
            LogLine.info(tokenLog).field("worker", context.label()).field("stream.id", assignment.streamId())
                    .field("connection.id", assignment.connectionId()).field("seq", sequence).log("sending token");
        }
    }

    private void finish(End end) {
        finished = true;
        stopModel(); // the stream stays counted until it closes (start)
        traceEnd(WorkerLegOutcome.COMPLETED, end.finishReason(), null);
        if (tokens != null) {
            send(MessageCodec.encode(channel.alloc(), end));
            // our FIN follows the director's (class comment); a director that never sends it gets ours after the
            // linger a finished stream gives its peer (a no-op once the stream has ended)
            Channel stream = channel;
            ScheduledFuture<?> ours = stream.eventLoop().schedule(() -> finishStream(stream),
                    QuicStreams.DEFAULT_LINGER.toNanos(), TimeUnit.NANOSECONDS);
            stream.closeFuture().addListener(closed -> ours.cancel(false)); // no timer holds a released stream
        } else {
            channel.writeAndFlush(end).addListener(written -> finishStream(channel));
        }
        LogLine.debug(log).field("worker", context.label()).field("stream.id", assignment.streamId())
                .field("generation.id", end.generationId()).field("finish.reason", end.finishReason())
                .log("generation complete");
    }

    /** One frame of this generation (released here): on the connection's token stream when it has one. */
    private void send(ByteBuf frame) {
        if (tokens != null) {
            tokens.send(assignment.streamId(), frame);
        } else {
            channel.writeAndFlush(frame, channel.voidPromise());
        }
    }

    private void onLoop(Runnable task) {
        if (channel == null || channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }

    private void stopModel() {
        if (demand != null) {
            demand.stop();
        }
    }

    /**
     * The worker's drain timed out with this stream still open: a generation still running ends here with a
     * SHUTTING_DOWN ERROR behind what it wrote (the director moves it at its last relayed token, as for a refused
     * hand-off) and our FIN; one whose END or ERROR is written already is left as it is, to be read. Either way the
     * stream stays counted until the director's FIN closes it ({@link #start}). Any thread.
     */
    void cutByDrainTimeout() {
        onLoop(() -> {
            if (finished) {
                return;
            }
            LogLine.info(log).field("worker", context.label()).field("stream.id", assignment.streamId())
                    .field("connection.id", assignment.connectionId()).field("next.seq", nextSequence)
                    .field("error", ErrorCode.SHUTTING_DOWN).log("drain timed out; ending stream");
            endWithError(ErrorCode.SHUTTING_DOWN, context.label() + " drain timed out; the generation moves",
                    WorkerLegOutcome.STOPPED, "drain timed out");
        });
    }

    // ---- the stream ----

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (demand != null && ctx.channel().isWritable()) {
            demand.topUp();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        endedByDirector();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            // nothing follows the assignment, so the director's FIN means: stop, the stream moved or ended
            endedByDirector();
            finishStream(ctx.channel());
        }
        ctx.fireUserEventTriggered(event);
    }

    /** The director closed the stream or sent its FIN: the generation stops here (it moved or ended). */
    private void endedByDirector() {
        if (assignment != null && !finished) {
            LogLine.info(log).field("worker", context.label()).field("stream.id", assignment.streamId())
                    .field("connection.id", assignment.connectionId()).field("next.seq", nextSequence)
                    .log("director ended stream");
        }
        finished = true;
        stopModel();
        traceEnd(WorkerLegOutcome.STOPPED, null, null);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        finished = true;
        stopModel(); // counted until the stream closes (start), its ERROR read by then
        if (cause instanceof QuicStreamResetException) {
            QuicStreams.peerReset((QuicStreamChannel) ctx.channel()); // the director cancelled the stream
            traceEnd(WorkerLegOutcome.STOPPED, null, null);
            return;
        }
        traceEnd(WorkerLegOutcome.STREAM_ERROR, String.valueOf(StreamFailures.codeOf(cause)),
                StreamFailures.describe(cause));
        if (StreamFailures.codeOf(cause) == ErrorCode.REQUEST_TOO_LARGE) {
            String problem = StreamFailures.describe(cause);
            LogLine.warn(log).field("worker", context.label()).field("stream.id", streamId(ctx.channel()))
                    .field("error", "REQUEST_TOO_LARGE").quoted("problem", problem)
                    .log("refusing oversize assignment; CONNECTION_SWAP_MAX_REQUEST_BYTES sets the limit");
            StreamFailures.endStream(ctx.channel(), new StreamError(ErrorCode.REQUEST_TOO_LARGE, problem));
            return;
        }
        StreamFailures.endStream(ctx.channel(), log, "worker", cause);
    }

    /** Ends this leg's span, when tracing is on; nothing when it has ended already. */
    private void traceEnd(WorkerLegOutcome outcome, String reason, String detail) {
        if (span != null) {
            span.end(outcome, nextSequence - 1, reason, detail);
        }
    }

    /** Our FIN; a QUIC stream is released once the director's FIN is read ({@link QuicStreams#finish}). */
    private static void finishStream(Channel stream) {
        if (stream instanceof QuicStreamChannel quic) {
            QuicStreams.finish(quic);
        } else {
            stream.close(); // not a QUIC stream: a test's embedded channel
        }
    }

    private static Object streamId(Channel stream) {
        return stream instanceof QuicStreamChannel quic ? quic.streamId() : stream.id().asShortText();
    }
}
