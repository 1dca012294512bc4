package io.connectionswap.worker.quic;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.PromptDigest;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Pause;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.protocol.model.ModelException;
import io.connectionswap.protocol.quic.StreamFailures;
import io.connectionswap.worker.tracing.WorkerLegOutcome;
import io.connectionswap.worker.tracing.WorkerLegSpan;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import java.util.concurrent.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leg of a generation this worker serves on one director stream, from the {@link WorkerAssignment} to END, ERROR
 * or the director ending the stream: answers CONNECTED, then subscribes to the model's publisher and writes each text
 * piece as the next TOKEN frame ({@link LegFrames}), ending with END (or ERROR when the model fails). Demand follows
 * the writability of the stream the frames go on ({@link ModelDemand}): a director that reads slowly slows the model
 * down. The model's events are moved onto the stream's event loop, where everything else runs. One per stream, made
 * by its handler ({@link GenerationStreamHandler}), which starts it with the assignment and passes on the stream's
 * events.
 */
final class GenerationLeg implements Flow.Subscriber<ModelEvent> {

    /** The handler's logger: the lines keep the logger name operators set levels by. */
    private static final Logger log = LoggerFactory.getLogger(GenerationStreamHandler.class);
    /** Per-token lines go to their own logger so operators can silence them without losing lifecycle lines. */
    private static final Logger tokenLog = LoggerFactory.getLogger("io.connectionswap.worker.tokens");

    private final WorkerStreamContext context;
    private WorkerAssignment assignment;
    private Channel channel;
    /** Where this leg's frames go; null until the assignment. */
    private LegFrames frames;
    /** What the model is asked for; null until the assignment. */
    private ModelDemand demand;
    private int nextSequence;
    private boolean finished;
    /** This leg's span, or null while tracing is off. */
    private WorkerLegSpan span;

    GenerationLeg(WorkerStreamContext context) {
        this.context = context;
    }

    /** Whether the assignment came: nothing but {@link Pause} messages may follow it. */
    boolean started() {
        return assignment != null;
    }

    void start(Channel stream, WorkerAssignment handoff) {
        assignment = handoff;
        channel = stream;
        WorkerTokenStream tokens = WorkerTokenStream.of(channel);
        frames = new LegFrames(channel, tokens, handoff.streamId());
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
        frames.send(MessageCodec.encode(channel.alloc(), new Connected(context.label(), handoff.connectionId(),
                handoff.streamId(), request.generationId(), request.resumeAfter(), context.servedModel(request.model()))));
        context.model().generate(generation).subscribe(this);
    }

    /** The director's {@link Pause}. */
    void paused(boolean pause) {
        demand.paused(pause);
    }

    /** The stream's writability changed: once started, the model is asked for more when it can take more. */
    void streamWritabilityChanged() {
        if (demand != null && channel.isWritable()) {
            demand.topUp();
        }
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
    private void modelFailed(Throwable thrown) {
        if (finished) {
            return;
        }
        ModelFailure failure = ModelFailure.of(thrown);
        failure.log(context.label(), assignment, nextSequence);
        context.meters().modelFailed(failure.code());
        endWithError(failure.code(), failure.problem(), WorkerLegOutcome.MODEL_ERROR, failure.problem());
    }

    /**
     * Ends the generation with an ERROR behind what it wrote, and our FIN; the stream stays counted until it closes
     * ({@link #start}): the ERROR is not dropped by a drain's end.
     */
    private void endWithError(ErrorCode code, String problem, WorkerLegOutcome outcome, String traceDetail) {
        stop();
        StreamFailures.endStream(channel, new StreamError(code, problem));
        traceEnd(outcome, code.name(), traceDetail);
    }

    @Override
    public void onComplete() {
        onLoop(() -> {
            if (!finished) {
                // a publisher that completes without a Finished event: the model simply stopped
                finish(new End(assignment.request().generationId(), nextSequence - 1, FinishReason.STOP, null));
            }
        });
    }

    private void writeToken(String text) {
        int sequence = nextSequence++;
        frames.send(MessageCodec.encodeToken(channel.alloc(), sequence, text));
        context.meters().tokenSent();
        if (tokenLog.isInfoEnabled()) {
            LogLine.info(tokenLog).field("worker", context.label()).field("stream.id", assignment.streamId())
                    .field("connection.id", assignment.connectionId()).field("seq", sequence).log("sending token");
        }
    }

    private void finish(End end) {
        stop(); // the stream stays counted until it closes (start)
        traceEnd(WorkerLegOutcome.COMPLETED, end.finishReason(), null);
        frames.end(end);
        LogLine.debug(log).field("worker", context.label()).field("stream.id", assignment.streamId())
                .field("generation.id", end.generationId()).field("finish.reason", end.finishReason())
                .log("generation complete");
    }

    private void onLoop(Runnable task) {
        if (channel == null || channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }

    /** The leg ends here: nothing more is written, and the model's work (once started) is cancelled. */
    void stop() {
        finished = true;
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

    /** The director closed the stream or sent its FIN: the generation stops here (it moved or ended). */
    void endedByDirector() {
        if (assignment != null && !finished) {
            LogLine.info(log).field("worker", context.label()).field("stream.id", assignment.streamId())
                    .field("connection.id", assignment.connectionId()).field("next.seq", nextSequence)
                    .log("director ended stream");
        }
        stop();
        traceEnd(WorkerLegOutcome.STOPPED, null, null);
    }

    /** Ends this leg's span, when tracing is on; nothing when it has ended already. */
    void traceEnd(WorkerLegOutcome outcome, String reason, String detail) {
        if (span != null) {
            span.end(outcome, nextSequence - 1, reason, detail);
        }
    }
}
