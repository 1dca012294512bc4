package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.protocol.model.ModelException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * upstream that ignores {@code max_tokens} (a token past the leg's budget) is ended there ({@link LegChunkHandler}).
 *
 * <p>The request is sent once more when the connection it went on was closed before any answer
 * ({@link StaleConnectionRetry}); the first-token clock goes on from the first attempt.
 *
 * <p>This class runs the leg's lifecycle: the delivered text's tokens counted before the request, the body's lines
 * made events, the end, the timeouts. Its parts: {@link LegExchange} (the HTTP exchange), {@link LegBody} (the body's
 * lines), {@link LegChunkHandler} (what each event does), {@link LegBudget}, {@link LegEnd}, {@link UpstreamTimeouts}
 * and {@link LegDownstream} (the subscriber's demand and events); what they share is handed to them as the leg's
 * {@link LegScope} (what it is, where it runs) and {@link LegProgress} (how far it has come), made once per leg.
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
    private final LegDownstream downstream;
    private final SerialExecutor serial;
    private final LegBody body = new LegBody();
    private final URI uri;
    private final UpstreamErrors errors;
    private final UpstreamTimeouts timeouts;
    private final LegEnd end;
    private final LegBudget budget = new LegBudget();
    /** Requests beside the completion (the token count, the look-ahead): cancelled with the leg. */
    private final List<CompletableFuture<?>> asides = new CopyOnWriteArrayList<>();
    private final LegChunkHandler handler;
    private final LegExchange exchange;
    private final LegLines lines;

    UpstreamCompletion(Upstream upstream, GenerationContext context, Flow.Subscriber<? super ModelEvent> downstream) {
        this.upstream = upstream;
        this.context = context;
        this.downstream = new LegDownstream(downstream);
        this.serial = new SerialExecutor(upstream.executor());
        this.uri = upstream.settings().completionsUri();
        this.errors = new UpstreamErrors(uri);
        this.timeouts = new UpstreamTimeouts(upstream.settings(), errors);
        this.end = new LegEnd(context, upstream.settings().includeUsage());
        LegScope scope = new LegScope(upstream, context, uri, errors, serial, asides::add);
        LegProgress progress = new LegProgress(budget, end, timeouts);
        Lifecycle lifecycle = new Lifecycle();
        this.handler = new LegChunkHandler(scope, progress, this.downstream, lifecycle);
        this.exchange = new LegExchange(scope, body, lifecycle);
        this.lines = new LegLines(scope, progress, body, handler, lifecycle);
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
            downstream.demand(n);
            pump();
        });
    }

    @Override
    public void cancel() {
        serial.execute(() -> {
            if (!downstream.terminate()) {
                return;
            }
            timeouts.stopWatching();
            exchange.cancel();
            asides.forEach(request -> request.cancel(true));
            LogLine.debug(log).field("generation.id", context.generationId()).field("produced", budget.produced())
                    .log("upstream stream cancelled");
        });
    }

    // ---- the request ----

    private void send() {
        if (downstream.terminated()) {
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
        if (downstream.terminated()) {
            return;
        }
        int deliveredTokens = counts.delivered();
        budget.allow(context.sampling().maxTokens() - deliveredTokens);
        end.counted(counts);
        if (deliveredTokens != context.resumeAfter()) {
            LogLine.debug(log).field("generation.id", context.generationId())
                    .field("resume.after", context.resumeAfter()).field("delivered.tokens", deliveredTokens)
                    .log("the delivered text holds more tokens than frames; asking for the rest");
        }
        if (budget.spent()) {
            // resumed after the last token (the worker failed between it and END): nothing is left to generate, but
            // that token may have ended at a stop sequence
            end.noUpstreamUsage();
            StopAfterLastToken.ask(upstream, context, asides::add).whenComplete((stopped, failure) ->
                    serial.execute(() -> finishAfterLastToken(Boolean.TRUE.equals(stopped))));
            return;
        }
        HttpRequest request = exchange.request(budget.remaining());
        timeouts.sent(System.nanoTime());
        timeouts.watch(upstream.timer(), () -> serial.execute(this::checkTimeouts));
        exchange.send(request, lines);
    }

    /** A resume after the last token ends here, {@code stopped} at a stop sequence or not (then {@code length}). */
    private void finishAfterLastToken(boolean stopped) {
        if (downstream.terminated()) {
            return;
        }
        if (stopped) {
            end.stoppedHere();
        }
        finish();
    }

    /** Asks for the next line while there is demand (one line gives at most one event). */
    private void pump() {
        if (downstream.terminated()) {
            return;
        }
        if (downstream.finishPending()) {
            if (downstream.wantsEvent()) {
                emitFinished();
            }
            return;
        }
        if (body.mayAsk() && downstream.wantsEvent()) {
            long now = System.nanoTime();
            timeouts.waiting(now);
            end.lineAsked(now);
            body.ask();
        }
    }

    // ---- the end ----

    /** The generation is complete; the rest of the body (normally nothing) is read and dropped. */
    private void finish() {
        downstream.finished(end.finished(budget.produced()));
        dropRestOfBody();
        if (downstream.wantsEvent()) {
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
        downstream.terminate();
        timeouts.stopWatching();
        downstream.sendFinished();
    }

    private void fail(ModelException failure) {
        if (!downstream.terminate()) {
            return;
        }
        timeouts.stopWatching();
        exchange.cancel();
        downstream.failed(failure);
    }

    private void checkTimeouts() {
        if (downstream.terminated() || downstream.finishPending() || handler.awaitingPromptCount()) {
            return;
        }
        long now = System.nanoTime();
        ModelException expired = timeouts.expired(now, budget.produced());
        // after the finish reason, the generation is complete but for its counts: a timeout (a TOKEN_TIMEOUT shorter
        // than the usage's grace) ends it like the grace does, never as a failure
        if (usageOverdue(now) || (expired != null && end.hasFinishReason())) {
            LogLine.debug(log).field("generation.id", context.generationId()).field("produced", budget.produced())
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
        LogLine.debug(log).field("generation.id", context.generationId()).field("produced", budget.produced())
                .field("upstream.url", uri).log(body.doneReceived()
                        ? "upstream kept its stream open after [DONE]; closing it"
                        : "upstream sent no [DONE] after the generation's end; closing its stream");
        exchange.cancel();
    }

    /** The leg's lifecycle as its parts drive it. */
    private final class Lifecycle implements LegLifecycle {
        @Override
        public boolean over() {
            return downstream.terminated();
        }

        @Override
        public void next() {
            pump();
        }

        @Override
        public void finish() {
            UpstreamCompletion.this.finish();
        }

        @Override
        public void finishAndCloseUpstream() {
            UpstreamCompletion.this.finish();
            exchange.cancel();
        }

        @Override
        public void closeUpstream() {
            dropRestOfBody();
            exchange.cancel();
        }

        @Override
        public void fail(ModelException failure) {
            UpstreamCompletion.this.fail(failure);
        }
    }
}
