package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.model.GenerationContext;
import java.net.URI;
import java.util.concurrent.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the lines of a leg's 2xx body ({@link LegBody}), each signal moved onto the leg's serial executor: each
 * line goes to the SSE rules, each event they complete to {@link LegChunkHandler}; the body's end or failure ends the
 * leg, complete when the upstream's finish reason came before it, failed otherwise. After the leg's end the rest of
 * the body is dropped. One per leg.
 */
final class LegLines implements Flow.Subscriber<String> {

    private static final Logger log = LoggerFactory.getLogger(LegLines.class);

    private final GenerationContext context;
    private final URI uri;
    private final UpstreamErrors errors;
    private final SerialExecutor serial;
    private final LegBody body;
    private final UpstreamTimeouts timeouts;
    private final LegEnd end;
    private final LegBudget budget;
    private final LegChunkHandler handler;
    private final LegLifecycle leg;

    /** {@code body}: the leg's 2xx body, read here; {@code handler}: its events' rules; {@code leg}: its lifecycle. */
    LegLines(LegScope scope, LegProgress progress, LegBody body, LegChunkHandler handler, LegLifecycle leg) {
        this.context = scope.context();
        this.uri = scope.uri();
        this.errors = scope.errors();
        this.serial = scope.serial();
        this.body = body;
        this.timeouts = progress.timeouts();
        this.end = progress.end();
        this.budget = progress.budget();
        this.handler = handler;
        this.leg = leg;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        serial.execute(() -> {
            body.subscribed(subscription);
            if (leg.over()) {
                subscription.cancel();
                return;
            }
            leg.next();
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
        serial.execute(this::bodyEnded);
    }

    private void onLine(String line) {
        body.lineReceived();
        if (body.draining()) {
            body.drop(line);
            return;
        }
        if (leg.over()) {
            return;
        }
        SseEventParser.Event event;
        try {
            event = body.event(line);
        } catch (IllegalStateException e) {
            leg.fail(errors.failed("upstream sent a malformed event stream: " + e.getMessage(), null));
            return;
        }
        if (event != null) {
            timeouts.eventReceived();
            handler.onEvent(event);
        }
        leg.next();
    }

    private void bodyEnded() {
        body.ended();
        if (leg.over()) {
            return;
        }
        if (body.draining()) {
            return;
        }
        SseEventParser.Event last = body.unterminatedEnd();
        if (last != null) {
            handler.onEvent(last); // [DONE], or an error event, without the blank line after it: either ends the leg
            return;
        }
        if (end.hasFinishReason()) {
            leg.finish(); // a finish_reason but no [DONE]: the generation is complete all the same
            return;
        }
        leg.fail(errors.failed("upstream stream ended after " + budget.produced()
                + " tokens without a finish_reason or [DONE] (stream cut)", null));
    }

    private void bodyFailed(Throwable failure) {
        body.ended();
        if (leg.over() || body.draining()) {
            return;
        }
        if (end.hasFinishReason()) {
            // complete but for the usage (or [DONE]): as a clean end after the finish reason, not a failure
            LogLine.info(log).field("generation.id", context.generationId()).field("produced", budget.produced())
                    .field("upstream.url", uri).quoted("problem", UpstreamErrors.describeForLog(failure))
                    .log("upstream stream broke after its finish_reason; the generation completed");
            leg.finish();
            return;
        }
        leg.fail(errors.forBrokenStream(failure, budget.produced()));
    }
}
