package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.protocol.model.ModelException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;

/**
 * One leg of a generation streamed from the upstream: {@code POST /v1/completions} with {@code stream: true}, each
 * chunk's text one {@link ModelEvent.Text}, then one {@link ModelEvent.Finished}.
 *
 * <p>Demand-driven: a line of the response body is asked for only while the subscriber has demand, one at a time
 * (one line yields at most one event), so a slow reader holds the HTTP response back (TCP flow control) instead of
 * filling memory. {@link #cancel} cancels the HTTP exchange (the upstream sees the connection close and stops
 * generating). Every state change runs on this stream's {@link SerialExecutor}, over the upstream's small shared
 * executor: no lock, no thread per stream, never on the caller's (the QUIC event loop's) thread.
 *
 * <p>Timeouts: no first token within {@code firstTokenTimeout} of sending the request, or no chunk within
 * {@code tokenTimeout} while one is wanted, fails the leg with UPSTREAM_FAILED (the director swaps).
 *
 * <p>The end: the generation is complete once the upstream has sent a {@code finish_reason} and, when the worker
 * asked for it, the usage chunk ({@link LegEnd}). The leg ends there, without waiting for {@code [DONE]}: an
 * upstream that then hangs costs nothing. The rest of the body ({@code [DONE]}, normally at once) is read and
 * dropped for at most {@link LegBody#DRAIN_GRACE}, so the connection can be reused; then the exchange is cancelled. An
 * upstream that ignores {@code include_usage} (a finish reason, then no usage chunk and no {@code [DONE]}) is given
 * {@link #USAGE_GRACE} for the usage and then ends without counts, rather than stalling into the token timeout. A
 * stream that ends or breaks after the finish reason completes the generation too, with the counts if they came. An
 * upstream that ignores {@code max_tokens} (a token past the leg's budget) is ended there: {@code length}, its stream
 * closed ({@link IgnoredMaxTokens} says so once), the counts the budget's and the tokenizer's ({@link LegEnd}).
 *
 * <p>The request is sent once more when the connection it went on was closed before any answer
 * ({@link StaleConnectionRetry}); the first-token clock goes on from the first attempt.
 */
final class UpstreamCompletion implements Flow.Subscription {

    private static final Logger log = LoggerFactory.getLogger(UpstreamCompletion.class);
    /**
     * How long the usage chunk may follow the finish reason, counted from the first line the worker asks for after
     * it: time the worker read nothing (no demand: a slow director) is not the upstream's.
     */
    static final Duration USAGE_GRACE = Duration.ofSeconds(1);

    private final Upstream upstream;
    private final GenerationContext context;
    private final Flow.Subscriber<? super ModelEvent> downstream;
    private final SerialExecutor serial;
    private final LegBody body = new LegBody();
    private final URI uri;
    private final UpstreamErrors errors;
    private final UpstreamTimeouts timeouts;
    private final StopAcrossResume stopAcrossResume;
    private final LegEnd end;
    private final SplitCharacters splitCharacters = new SplitCharacters();
    /** Requests beside the completion (the token count, the look-ahead): cancelled with the leg. */
    private final List<CompletableFuture<?>> asides = new CopyOnWriteArrayList<>();

    // confined to the serial executor
    private long demand;
    private boolean terminated;
    private CompletableFuture<HttpResponse<String>> exchange;
    private int produced;
    /** The tokens this leg may generate: the request's budget less the delivered text's tokens. */
    private int remaining;
    private ModelEvent.Finished pendingFinish;
    private ScheduledFuture<?> watchdog;
    private boolean modelChecked;
    /** The leg ended at its budget and its END waits for the tokenizer's count of the prompt. */
    private boolean awaitingPromptCount;

    UpstreamCompletion(Upstream upstream, GenerationContext context, Flow.Subscriber<? super ModelEvent> downstream) {
        this.upstream = upstream;
        this.context = context;
        this.downstream = downstream;
        this.serial = new SerialExecutor(upstream.executor());
        this.uri = upstream.settings().completionsUri();
        this.errors = new UpstreamErrors(uri);
        this.timeouts = new UpstreamTimeouts(upstream.settings(), errors);
        this.stopAcrossResume = StopAcrossResume.of(context);
        this.end = new LegEnd(context, upstream.settings().includeUsage());
    }

    /** Sends the request (off the caller's thread). */
    void start() {
        serial.execute(this::send);
    }

    @Override
    public void request(long n) {
        serial.execute(() -> {
            if (n <= 0) {
                fail(new ModelException(ErrorCode.INTERNAL, "request(" + n + "): expected > 0 (reactive streams "
                        + "rule 3.9)"));
                return;
            }
            demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
            pump();
        });
    }

    @Override
    public void cancel() {
        serial.execute(() -> {
            if (terminated) {
                return;
            }
            terminated = true;
            stopWatchdog();
            abortExchange();
            asides.forEach(request -> request.cancel(true));
            LogLine.debug(log).field("generation.id", context.generationId()).field("produced", produced)
                    .log("upstream stream cancelled");
        });
    }

    // ---- the request ----

    private void send() {
        if (terminated) {
            return;
        }
        boolean noneLeft = context.resumeAfter() >= context.sampling().maxTokens();
        if (!context.isResume() || (noneLeft && !upstream.settings().includeUsage())) {
            // nothing to count: a new generation, or none left to generate and no counts asked for (the prompt's
            // tokens are counted for those of a resume after the last token: the upstream sends no usage then)
            sendLeg(DeliveredTokens.Counts.frames(context));
            return;
        }
        upstream.deliveredTokens().count(upstream, context, asides::add).whenComplete((counts, failure) ->
                serial.execute(() -> sendLeg(counts == null ? DeliveredTokens.Counts.frames(context) : counts)));
    }

    /** Sends the request for the tokens left after those of the delivered text ({@code counts}). */
    private void sendLeg(DeliveredTokens.Counts counts) {
        if (terminated) {
            return;
        }
        int deliveredTokens = counts.delivered();
        remaining = context.sampling().maxTokens() - deliveredTokens;
        end.counted(counts);
        if (deliveredTokens != context.resumeAfter()) {
            LogLine.debug(log).field("generation.id", context.generationId())
                    .field("resume.after", context.resumeAfter()).field("delivered.tokens", deliveredTokens)
                    .log("the delivered text holds more tokens than frames; asking for the rest");
        }
        if (remaining <= 0) {
            // resumed after the last token (the worker failed between it and END): nothing is left to generate, but
            // that token may have ended at a stop sequence
            end.noUpstreamUsage();
            StopAfterLastToken.ask(upstream, context, asides::add).whenComplete((stopped, failure) ->
                    serial.execute(() -> finishAfterLastToken(Boolean.TRUE.equals(stopped))));
            return;
        }
        HttpRequest request = upstream.post(uri, CompletionRequestBody.json(upstream.json(), context,
                upstream.settings(), remaining), "text/event-stream", upstream.settings().firstTokenTimeout(),
                context.traceparent());
        timeouts.sent(System.nanoTime());
        long periodMillis = timeouts.checkPeriodMillis();
        watchdog = upstream.timer().scheduleAtFixedRate(() -> serial.execute(this::checkTimeouts), periodMillis,
                periodMillis, TimeUnit.MILLISECONDS);
        try {
            // sent once more if the connection was closed before any answer; the first-token clock goes on
            exchange = upstream.send(request, info -> CompletionAnswer.body(info, new Lines()));
        } catch (RuntimeException e) {
            fail(errors.failed("cannot send the request to upstream: " + errors.quote(e.toString()), e));
            return;
        }
        exchange.whenComplete((response, failure) -> serial.execute(() -> exchangeCompleted(response, failure)));
    }

    /** A resume after the last token ends here, {@code stopped} at a stop sequence or not (then {@code length}). */
    private void finishAfterLastToken(boolean stopped) {
        if (terminated) {
            return;
        }
        if (stopped) {
            end.stoppedHere();
        }
        finish();
    }

    private void exchangeCompleted(HttpResponse<String> response, Throwable failure) {
        if (terminated) {
            return;
        }
        if (failure != null) {
            if (!body.subscribed()) {
                // no answer at all: refused, timed out, reset before the headers (and again, if it was sent again)
                upstream.unreachable().run();
                fail(errors.forException(failure, upstream.settings().firstTokenTimeout()));
            }
            // else: the event stream broke; its lines bring the failure (Lines.onError) after the lines read before
            // it, a final chunk among them, which acting on it here would pre-empt
            return;
        }
        ModelException refused = CompletionAnswer.failure(response, upstream, errors);
        if (refused != null) {
            fail(refused);
        }
        // else: the body's lines decide (bodyEnded ran before this)
    }

    // ---- the body, line by line ----

    /** Receives the lines of a 2xx body; every signal is moved onto the serial executor. */
    private final class Lines implements Flow.Subscriber<String> {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            serial.execute(() -> {
                body.subscribed(subscription);
                if (terminated) {
                    subscription.cancel();
                    return;
                }
                pump();
            });
        }

        @Override
        public void onNext(String line) {
            serial.execute(() -> onLine(line));
        }

        @Override
        public void onError(Throwable failure) {
            serial.execute(() -> bodyFailed(failure));
        }

        @Override
        public void onComplete() {
            serial.execute(UpstreamCompletion.this::bodyEnded);
        }
    }

    /** Asks for the next line while there is demand (one line gives at most one event). */
    private void pump() {
        if (terminated) {
            return;
        }
        if (pendingFinish != null) {
            if (demand > 0) {
                emitFinished();
            }
            return;
        }
        if (body.mayAsk() && demand > 0) {
            long now = System.nanoTime();
            timeouts.waiting(now);
            end.lineAsked(now);
            body.ask();
        }
    }

    private void onLine(String line) {
        body.lineReceived();
        if (body.draining()) {
            body.drop(line);
            return;
        }
        if (terminated) {
            return;
        }
        SseEventParser.Event event;
        try {
            event = body.event(line);
        } catch (IllegalStateException e) {
            fail(errors.failed("upstream sent a malformed event stream: " + e.getMessage(), null));
            return;
        }
        if (event != null) {
            timeouts.eventReceived();
            onEvent(event);
        }
        pump();
    }

    private void onEvent(SseEventParser.Event event) {
        CompletionChunk chunk;
        try {
            chunk = event.error() ? CompletionChunk.parseError(event.data(), upstream.json())
                    : CompletionChunk.parse(event.data(), upstream.json());
        } catch (JacksonException e) {
            fail(errors.failed("upstream sent a chunk that is not JSON after " + produced + " tokens: "
                    + errors.quote(event.data()), null));
            return;
        }
        if (chunk.done()) {
            finish();
            return;
        }
        if (chunk.error() != null) {
            // the generation's tokens, not this leg's: a resumed leg's request was taken before it began
            fail(errors.forStreamError(chunk.error(), context.resumeAfter() + produced));
            return;
        }
        if (chunk.otherChoice() != null) {
            // the worker asks for one choice: another one's tokens would be mixed into this one's text
            fail(errors.failed("upstream sent a choice with index " + chunk.otherChoice() + " after " + produced
                    + " tokens; the worker asks for one choice (index 0): it answers several (n above 1?)", null));
            return;
        }
        if (chunk.chatShaped()) {
            // a router or server that answers /completions as chat: its text is where the worker does not read
            fail(errors.failed("upstream answered /completions in the chat completions' shape after " + produced
                    + " tokens (expected choices[0].text, saw choices[0].delta.content or .message.content): a router or "
                    + "server that maps /completions to chat completions?", null));
            return;
        }
        if (chunk.isToken() && !chunk.text().isEmpty() && produced >= remaining && chunk.finishReason() == null
                && !end.hasFinishReason()) {
            // the upstream honoured max_tokens if it stopped here: it goes on instead (a text with or after its
            // finish reason is no sign of that: it ends there by itself; emitText drops it)
            endAtBudget();
            return;
        }
        if (chunk.aborted()) {
            if (chunk.isToken()) {
                emitText(chunk.text());
            }
            fail(errors.failed("upstream ended the generation after " + produced + " tokens with finish_reason "
                    + errors.quote(chunk.finishReason())
                    + " (it aborted the request: shutting down, paused, or failed)", null));
            return;
        }
        end.seen(chunk);
        if (!modelChecked && chunk.model() != null) {
            modelChecked = true; // once a leg: the first chunk that names a model speaks for the rest
            upstream.answeringModels().answered(upstream.settings().model(), chunk.model());
        }
        if (chunk.isToken() && stopAcrossResume.completedBy(chunk.text())) {
            // a stop begun in the delivered text ends here: the unbroken generation ended too; the upstream goes on
            LogLine.debug(log).field("generation.id", context.generationId()).field("produced", produced)
                    .log("a stop sequence that began before the resume ends here; finishing");
            end.stoppedHere();
            finish();
            abortExchange();
            return;
        }
        if (chunk.isToken()) {
            emitText(chunk.text());
        }
        if (end.complete()) {
            finish(); // complete: [DONE] would add nothing, and an upstream may never send it
        }
    }

    /**
     * A token past the leg's budget: the upstream ignores {@code max_tokens}. The generation ends here, as the
     * upstream should have ended it ({@code length}), and its stream is closed so that it stops generating.
     */
    private void endAtBudget() {
        upstream.ignoredMaxTokens().seen(remaining);
        LogLine.debug(log).field("generation.id", context.generationId()).field("max.tokens", remaining)
                .field("upstream.url", uri)
                .log("upstream sent more tokens than asked for; ending the generation at its budget");
        end.budgetSpent();
        if (!end.awaitsPromptCount()) {
            finish();
            abortExchange();
            return;
        }
        // no usage comes from the closed stream: the END waits for the tokenizer's count of the prompt (milliseconds,
        // at most DeliveredTokens.TIMEOUT); the upstream stops at once, and what it still sends is dropped
        awaitingPromptCount = true;
        dropRestOfBody();
        abortExchange();
        upstream.deliveredTokens().promptTokens(upstream, context, asides::add).whenComplete((tokens, failure) ->
                serial.execute(() -> finishCounted(tokens)));
    }

    /** A leg ended at its budget ends here, with the prompt's {@code tokens} (null: not counted, no counts). */
    private void finishCounted(Integer tokens) {
        if (terminated) {
            return;
        }
        awaitingPromptCount = false;
        end.promptCounted(tokens);
        finish();
    }

    private void emitText(String text) {
        if (produced >= remaining) {
            return; // past the budget: an empty text, or a text with or after the finish reason: nothing to send
        }
        String whole = splitCharacters.whole(text);
        if (whole.isEmpty() && !text.isEmpty()) {
            return; // only a character's front half: no token of its own, it goes out whole with the next text
        }
        produced++;
        demand--;
        downstream.onNext(new ModelEvent.Text(whole));
    }

    private void bodyEnded() {
        body.ended();
        if (terminated) {
            return;
        }
        if (body.draining()) {
            return;
        }
        SseEventParser.Event last = body.unterminatedEnd();
        if (last != null) {
            onEvent(last); // [DONE], or an error event, without the blank line after it: either ends the leg
            return;
        }
        if (end.hasFinishReason()) {
            finish(); // a finish_reason but no [DONE]: the generation is complete all the same
            return;
        }
        fail(errors.failed("upstream stream ended after " + produced
                + " tokens without a finish_reason or [DONE] (stream cut)", null));
    }

    private void bodyFailed(Throwable failure) {
        body.ended();
        if (terminated || body.draining()) {
            return;
        }
        if (end.hasFinishReason()) {
            // complete but for the usage (or [DONE]): as a clean end after the finish reason, not a failure
            LogLine.info(log).field("generation.id", context.generationId()).field("produced", produced)
                    .field("upstream.url", uri).quoted("problem", UpstreamErrors.describeForLog(failure))
                    .log("upstream stream broke after its finish_reason; the generation completed");
            finish();
            return;
        }
        fail(errors.forBrokenStream(failure, produced));
    }

    // ---- the end ----

    /** The generation is complete; the rest of the body (normally nothing) is read and dropped. */
    private void finish() {
        pendingFinish = end.finished(produced);
        dropRestOfBody();
        if (demand > 0) {
            emitFinished();
        }
    }

    /** The rest of the body (normally nothing) is read and dropped, for at most {@link LegBody#DRAIN_GRACE}. */
    private void dropRestOfBody() {
        if (body.subscribed()) {
            body.drain(upstream.timer(), () -> serial.execute(this::drainExpired));
        }
    }

    private void emitFinished() {
        ModelEvent.Finished finished = pendingFinish;
        pendingFinish = null;
        terminated = true;
        stopWatchdog();
        demand--;
        downstream.onNext(finished);
        downstream.onComplete();
    }

    private void fail(ModelException failure) {
        if (terminated) {
            return;
        }
        terminated = true;
        stopWatchdog();
        abortExchange();
        downstream.onError(failure);
    }

    private void checkTimeouts() {
        if (terminated || pendingFinish != null || awaitingPromptCount) {
            return;
        }
        long now = System.nanoTime();
        ModelException expired = timeouts.expired(now, produced);
        // after the finish reason, the generation is complete but for its counts: a timeout (a TOKEN_TIMEOUT shorter
        // than the usage's grace) ends it like the grace does, never as a failure
        if (usageOverdue(now) || (expired != null && end.hasFinishReason())) {
            LogLine.debug(log).field("generation.id", context.generationId()).field("produced", produced)
                    .field("upstream.url", uri).log("upstream sent no usage chunk after its finish_reason; "
                            + "finishing without token counts");
            finish();
            return;
        }
        if (expired != null) {
            fail(expired);
        }
    }

    /** The usage has not come {@link #USAGE_GRACE} after the worker asked for it, and a line is still asked for. */
    private boolean usageOverdue(long nanos) {
        return body.lineRequested() && end.usageOverdue(nanos, USAGE_GRACE);
    }

    /** The body went on past the generation's end for {@link LegBody#DRAIN_GRACE}: the upstream hangs; let it go. */
    private void drainExpired() {
        if (body.over()) {
            return;
        }
        LogLine.debug(log).field("generation.id", context.generationId()).field("produced", produced)
                .field("upstream.url", uri).log(body.doneReceived()
                        ? "upstream kept its stream open after [DONE]; closing it"
                        : "upstream sent no [DONE] after the generation's end; closing its stream");
        abortExchange();
    }

    private void stopWatchdog() {
        if (watchdog != null) {
            watchdog.cancel(false);
        }
    }

    private void abortExchange() {
        body.cancel();
        if (exchange != null) {
            exchange.cancel(true);
        }
    }
}
