package io.connectionswap.worker.model.openai;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The reading of one leg's event-stream body: its lines (each at most {@link #MAX_LINE_BYTES}) are asked for one at a
 * time while the leg wants an event, and made events by the SSE rules ({@link SseEventParser}); after the
 * generation's end the rest of the body ({@code [DONE]}, normally at once) is read and dropped, so the connection can
 * be reused, for at most {@link #DRAIN_GRACE}, noting whether {@code [DONE]} came; then the body is over (ended,
 * failed or cancelled). Confined to the leg's serial executor.
 */
final class LegBody {

    /** How long the body may go on after the generation's end before the exchange is cancelled. */
    static final Duration DRAIN_GRACE = Duration.ofSeconds(1);
    private static final int MAX_EVENT_CHARS = 1 << 20;
    /** One line of the body: an event's data at most, at up to 4 bytes a character, and its field name. */
    private static final int MAX_LINE_BYTES = 4 * MAX_EVENT_CHARS + 64;

    private final SseEventParser parser = new SseEventParser(MAX_EVENT_CHARS);
    private Flow.Subscription lines;
    private boolean lineRequested;
    private boolean draining;
    private boolean doneReceived;
    private boolean over;
    private ScheduledFuture<?> drainDeadline;

    /** A 2xx body's handler: its lines, each at most {@link #MAX_LINE_BYTES}, to {@code lines} as they ask. */
    static HttpResponse.BodySubscriber<String> lines(Flow.Subscriber<? super String> lines) {
        return HttpResponse.BodySubscribers.fromSubscriber(new BoundedLines(lines, MAX_LINE_BYTES), subscriber -> null);
    }

    /** The body's lines are subscribed to: a 2xx answer came. */
    void subscribed(Flow.Subscription subscription) {
        lines = subscription;
    }

    boolean subscribed() {
        return lines != null;
    }

    /** Whether the next line may be asked for: the lines are subscribed to, none is asked for, no drain. */
    boolean mayAsk() {
        return lines != null && !lineRequested && !draining;
    }

    /** Asks for the next line. */
    void ask() {
        lineRequested = true;
        lines.request(1);
    }

    /** A line is asked for and has not come. */
    boolean lineRequested() {
        return lineRequested;
    }

    /** A line came. */
    void lineReceived() {
        lineRequested = false;
    }

    /** Feeds {@code line} to the SSE rules: the event it completes, or null; a malformed stream throws. */
    SseEventParser.Event event(String line) {
        return parser.line(line);
    }

    /**
     * The body ended: its last event if it was not followed by a blank line and counts all the same ({@code [DONE]},
     * or an error event: the upstream's reason for ending), else null (an event cut short is dropped, as the SSE rules
     * say).
     */
    SseEventParser.Event unterminatedEnd() {
        SseEventParser.Event last = parser.end();
        if (last == null) {
            return null;
        }
        return last.error() || CompletionChunk.DONE.equals(last.data().strip()) ? last : null;
    }

    /** Whether the rest of the body is being read and dropped. */
    boolean draining() {
        return draining;
    }

    /**
     * Reads the rest of the body to its end; {@code expired} runs when it goes on for {@link #DRAIN_GRACE}. A body
     * already over (the leg ended with it: {@code [DONE]} without the blank line after it, a finish reason and then
     * the body's end) has no rest: no deadline is set.
     */
    void drain(ScheduledExecutorService timer, Runnable expired) {
        draining = true;
        if (over) {
            return;
        }
        lines.request(Long.MAX_VALUE); // read to the end, so the connection can be reused
        drainDeadline = timer.schedule(expired, DRAIN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Drops {@code line} of the rest of the body, noting {@code [DONE]}. */
    void drop(String line) {
        doneReceived |= CompletionChunk.DONE.equals(drainedEvent(line));
    }

    /** Whether {@code [DONE]} came while the rest of the body was dropped. */
    boolean doneReceived() {
        return doneReceived;
    }

    /** The body ended or failed: no drain deadline any more. */
    void ended() {
        over = true;
        if (drainDeadline != null) {
            drainDeadline.cancel(false);
        }
    }

    /** Whether the body ended, failed or was cancelled. */
    boolean over() {
        return over;
    }

    /** Cancels the body (once subscribed to): it is over. */
    void cancel() {
        ended();
        if (lines != null) {
            lines.cancel();
        }
    }

    /** The data of the event {@code line} completes while the rest of the body is dropped, or null. */
    private String drainedEvent(String line) {
        try {
            SseEventParser.Event event = parser.line(line);
            return event == null || event.error() ? null : event.data().strip();
        } catch (IllegalStateException e) {
            return null;
        }
    }
}
