package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.retry.Backoff;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.SwapClientListener;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * One generation from subscription to its end: opens a leg (stream), resumes on a new leg after RETRY with the
 * delivered text, waits ({@link RetryWaits}) with capped exponential backoff and jitter while no worker is healthy,
 * waits for the connection when the director is lost, checks every token's sequence, and hands events to the
 * subscriber through {@link Delivery}: while the subscriber is far behind, the leg stops reading, so the QUIC stream's
 * window closes and the director and worker slow down (on the client token stream the leg tells the director to
 * pause): memory stays bounded. Tokens already on their way when reading stops still arrive; they queue behind the
 * others, in order.
 *
 * <p>Its end (completion, failure, cancel, the client's close) is its {@link GenerationEnd}'s; the request its next
 * leg opens with, its {@link ResumeRequests}'. All state is confined to the client loop; {@link #request} and
 * {@link #cancel} hop onto it. Signals to the subscriber are delivered on the loop, one at a time.
 */
public final class GenerationRun implements Flow.Subscription {

    static final Logger log = LoggerFactory.getLogger("io.connectionswap.swapclient.SwapClient");
    /**
     * Per-token lines ({@code received token}, CONTRACT), at the level the client was built with
     * ({@code SwapClient.Builder#tokenLogLevel}: DEBUG unless the application asks), silenced separately.
     */
    static final Logger tokenLog = LoggerFactory.getLogger("io.connectionswap.client.tokens");

    static final int HIGH_WATER = Delivery.HIGH_WATER;

    private final ClientLoop loop;
    private final Transport transport;
    private final SwapClientListener listener;
    private final RetryWaits waits;
    /** What the director's refusals of the generation's streams mean for it. */
    private final Refusals refusals;
    private final Level tokenLogLevel;
    private final SequenceCheck check = new SequenceCheck();
    /** The request of the generation's next leg. */
    private final ResumeRequests resumes;
    private final Delivery delivery;
    private final String generationId;
    private final GenerationEnd ending;
    private final CurrentLeg leg;

    private String worker;
    private String connectionId;
    private final TokenTimeline timeline;
    private final SequenceErrors sequenceErrors;

    public GenerationRun(ClientLoop loop, Transport transport, SwapClientListener listener,
                         Flow.Subscriber<? super GenerationEvent> subscriber, GenerationRequest request,
                         GenerationOptions options, Backoff backoff, Level tokenLogLevel) {
        this.loop = loop;
        this.transport = transport;
        this.listener = GuardedListener.of(listener);
        this.timeline = new TokenTimeline(this.listener);
        this.generationId = request.generationId();
        this.sequenceErrors = new SequenceErrors(this.listener, generationId);
        this.resumes = new ResumeRequests(request);
        this.waits = new RetryWaits(loop, transport, options.noWorkerWait(), backoff, new RetryWaits.Run() {
            @Override
            public void openLeg() {
                GenerationRun.this.openLeg();
            }

            @Override
            public boolean finished() {
                return ending.isFinished();
            }

            @Override
            public void fail(ErrorCode code, String detail) {
                ending.fail(new GenerationException(code, detail, check.last()));
            }
        });
        this.refusals = new Refusals(waits, this.listener, options.noWorkerWait());
        this.tokenLogLevel = tokenLogLevel;
        this.delivery = new Delivery(subscriber, this::reading, this::cancelOnLoop, this::delivered);
        this.ending = new GenerationEnd(generationId, check, delivery, this::stop);
        this.leg = new CurrentLeg(transport, waits, this, ending);
    }

    public String generationId() {
        return generationId;
    }

    /**
     * Runs {@code action} once, on the loop, when the generation ends for good: completed, failed, cancelled by its
     * subscriber or by the client's close. Its last events may still wait for the subscriber's demand then. Set it
     * before {@link #start}.
     */
    public void whenFinished(Runnable action) {
        ending.whenFinished(action);
    }

    /**
     * Runs {@code action} once, on the loop, when the subscriber has had its terminal signal or cancelled: for a
     * generation that ended ({@link #whenFinished}) while its last events waited for demand, once they were asked for.
     * Set it before {@link #start}.
     */
    public void whenDelivered(Runnable action) {
        ending.whenDelivered(action);
    }

    /** Whether the generation has ended for good (loop only): completed, failed or cancelled. */
    public boolean isFinished() {
        return ending.isFinished();
    }

    /** Opens the first leg; call on the loop after {@code onSubscribe}. */
    public void start() {
        timeline.start(loop.nanoTime());
        openLeg();
    }

    // ---- Flow.Subscription (any thread) ----

    @Override
    public void request(long n) {
        onLoop(() -> requestOnLoop(n));
    }

    @Override
    public void cancel() {
        onLoop(this::cancelOnLoop);
    }

    /**
     * Runs a subscriber's call on the loop. After the client's close its loop may be gone: by then every generation
     * has had its terminal signal, so the call has nothing left to do and returns normally (rules 3.6 and 3.7).
     */
    private void onLoop(Runnable call) {
        if (loop.inLoop()) {
            call.run();
            return;
        }
        try {
            loop.execute(call);
        } catch (RejectedExecutionException e) {
            LogLine.debug(log).field("generation.id", generationId)
                    .log("subscriber called after the client closed; nothing to do");
        }
    }

    private void requestOnLoop(long n) {
        if (ending.isCancelled() || delivery.terminated()) {
            return;
        }
        if (n <= 0) {
            ending.badRequest(n);
            return;
        }
        delivery.request(n);
    }

    private void cancelOnLoop() {
        ending.cancel();
    }

    private void delivered() {
        ending.delivered();
    }

    // ---- legs ----

    private void openLeg() {
        waits.legOpening();
        if (ending.isFinished()) {
            return;
        }
        if (!transport.isConnected()) {
            waits.awaitConnection();
            return;
        }
        leg.open(resumes.next(), delivery::paused);
    }

    /** The generation has ended: its leg stops, and its pending retry (or wait for the connection) is called off. */
    private void stop() {
        leg.stop();
        waits.cancelRetry();
    }

    // ---- what happens on the current leg ({@link CurrentLeg} passes on its events while it is current) ----

    void assigned(Connected connected) {
        worker = connected.worker();
        resumes.servedBy(connected.model());
        connectionId = connected.connectionId();
        waits.workerAssigned();
        LogLine.info(log).field("connection.id", connected.connectionId()).field("worker", connected.worker())
                .field("stream.id", connected.streamId()).field("generation.id", connected.generationId())
                .field("resume.after", connected.resumeAfter()).log("worker assigned to stream");
        enqueue(new GenerationEvent.Assigned(connected.worker(), connected.connectionId(), connected.streamId(),
                connected.model(), connected.resumeAfter()));
    }

    /**
     * The subscriber's queue filled ({@code enabled} false) or drained again: reading on the leg off or on. The time
     * reading was held back is the subscriber's, not the cluster's, so it is taken out of the next token gap (tokens
     * already on their way that arrived meanwhile count from their arrival).
     */
    private void reading(boolean enabled) {
        long now = loop.nanoTime();
        if (!enabled) {
            waits.holdBack(now);
        } else {
            long heldBackSinceNanos = waits.readAgain();
            if (heldBackSinceNanos >= 0) {
                timeline.heldBack(heldBackSinceNanos, now);
                leg.restartAnswerWait();
            }
        }
        leg.read(enabled);
    }

    void token(Token token) {
        long now = loop.nanoTime();
        switch (check.accept(token.sequence())) {
            case IN_ORDER -> {
                resumes.delivered(token.text());
                listener.tokenReceived();
                timeline.tokenArrived(now);
                emitPendingSwap(now);
                timeline.lastToken(now);
                waits.tokenArrived();
                if (tokenLog.isEnabledForLevel(tokenLogLevel)) {
                    LogLine.at(tokenLog, tokenLogLevel).field("connection.id", connectionId).field("worker", worker)
                            .field("generation.id", generationId).field("sequence", token.sequence())
                            .log("received token");
                }
                enqueue(new GenerationEvent.Token(token.sequence(), token.text(), worker));
            }
            case DUPLICATE -> sequenceErrors.duplicate(worker, token.sequence(), check.last() + 1);
            case GAP -> {
                sequenceErrors.gap(worker, token.sequence(), check.last() + 1);
                leg.stop();
                resumeAfterGap("token sequence gap: " + token.sequence() + " after " + check.last());
            }
        }
    }

    void ended(End end) {
        leg.ended();
        if (end.lastSequence() > check.last()) {
            sequenceErrors.endedAhead(worker, end.lastSequence(), check.last());
            resumeAfterGap("end at sequence " + end.lastSequence() + " after " + check.last());
            return;
        }
        ending.finish();
        emitPendingSwap(loop.nanoTime());
        listener.generationCompleted();
        LogLine.debug(log).field("generation.id", generationId).field("tokens", check.last())
                .field("finish.reason", end.finishReason()).log("generation complete");
        delivery.completeWith(new GenerationEvent.Completed(end.finishReason(), end.usage(), check.last(),
                sequenceErrors.count()));
    }

    void retry(Retry retry) {
        leg.ended();
        listener.swapped(retry.reason());
        moving(retry.reason(), retry.failedWorker());
        LogLine.info(log).field("generation.id", generationId).field("last.seq", check.last())
                .field("reason", retry.reason())
                .log("err=\"{}: {}\" stream ended; requesting another worker", retry.failedWorker(), retry.detail());
        if (retry.lastSequence() != check.last()) {
            LogLine.warn(log).field("generation.id", generationId)
                    .field("director.last.seq", retry.lastSequence()).field("received", check.last())
                    .log("director and client disagree on the last token; resuming after the last one received");
        }
        // a director that shuts down moves the generation to another director: not a worker failure, so neither a
        // migration (the limit is for failing workers) nor a reason to avoid that worker; a worker that drains is
        // avoided, but no migration either
        resumes.resumeAfter(check.last(), retry.directorDraining() ? null : retry.failedWorker(),
                retry.countsAsMigration());
        if (retry.directorDraining() || !transport.isConnected()) {
            // the director leaves (its drain, or its GOAWAY read before this RETRY of one of its workers): the resume
            // waits for the next connection as after a break, a zero wait too
            waits.directorLeaving();
        }
        openLeg();
    }

    void refused(StreamError error) {
        leg.ended();
        GenerationException failure = refusals.refused(error, generationId, check.last(), worker != null);
        if (failure != null) {
            ending.fail(failure);
        }
    }

    void broken(String problem) {
        leg.ended();
        LogLine.warn(log).field("generation.id", generationId).field("last.seq", check.last())
                .quoted("problem", problem).log("stream ended; requesting another worker err=\"{}\"", problem);
        if (worker != null) { // a stream no worker ever took moves no generation
            moving(transport.isConnected() ? GenerationEvent.Swapped.STREAM_BROKEN
                    : GenerationEvent.Swapped.DIRECTOR_LOST, worker);
        }
        resumes.resumeAfter(check.last(), null, false);
        waits.retryWithinWait(problem);
    }

    /** The client is closing: the generation ends with CANCELLED at once ({@link GenerationEnd#clientClosed}). */
    public void closed() {
        ending.clientClosed();
    }

    /** The worker's tokens had a gap ({@code problem}): the generation resumes after the last good one elsewhere. */
    private void resumeAfterGap(String problem) {
        moving(GenerationEvent.Swapped.SEQUENCE_GAP, worker);
        resumes.resumeAfter(check.last(), worker, true);
        waits.retryWithinWait(problem);
    }

    /** The generation leaves {@code fromWorker} for another stream ({@link TokenTimeline#moving}). */
    private void moving(String reason, String fromWorker) {
        timeline.moving(reason, fromWorker, check.last(), loop.nanoTime());
    }

    private void emitPendingSwap(long now) {
        GenerationEvent.Swapped swap = timeline.takeMove(worker, now);
        if (swap != null) {
            enqueue(swap);
        }
    }

    private void enqueue(GenerationEvent event) {
        delivery.add(event);
    }
}
