package io.connectionswap.client.gateway;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SynchronousSink;
import reactor.core.scheduler.Scheduler;

/**
 * SSE comments ({@code : keep-alive} and a blank line) in the silences of a streamed answer, so that a proxy or load
 * balancer in front of the gateway, which cuts a response that sent nothing for its read timeout (nginx's
 * {@code proxy_read_timeout} and an AWS ALB's idle timeout: 60 s), sees traffic while a healthy generation is silent
 * (a swap to a worker that re-reads a long prompt, a slow model). EventSource and the OpenAI SDKs skip comments.
 *
 * <p>A comment goes out when the answer has sent nothing for the interval, and only: after its first chunk (before it
 * nothing is sent, not even the headers, so that a request that cannot start still gets its HTTP status), between two
 * chunks (each is a whole event), never after the last one ({@code [DONE]} or the error event).
 *
 * <p>Cost per answer: one timer pending at a time, due when the answer will have been silent for the interval (it
 * fires at most once an interval, however many tokens pass); a chunk only moves a timestamp. The timer is cancelled
 * with the answer: completed, failed or its client gone.
 */
final class SseKeepAlive {

    static final byte[] COMMENT = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);
    /** Marks in the merged chunks, told apart by identity: the timer's "look now", the chunks' end. */
    private static final byte[] CHECK = new byte[0];
    private static final byte[] END = new byte[0];

    private final long intervalNanos;
    private final Scheduler timers;

    /** {@code interval}: silence before a comment ({@code CONNECTION_SWAP_GATEWAY_SSE_KEEPALIVE}), 0 for none. */
    SseKeepAlive(Duration interval, Scheduler timers) {
        if (interval.isNegative()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: >= 0; 0 for no keep-alive)");
        }
        this.intervalNanos = interval.toNanos();
        this.timers = timers;
    }

    /** {@code chunks} (each one whole SSE event), with a comment wherever they fall silent for the interval. */
    Flux<byte[]> around(Flux<byte[]> chunks) {
        return intervalNanos == 0 ? chunks : Flux.defer(() -> new Silences().around(chunks));
    }

    /** One answer's state. */
    private final class Silences {

        /** {@link System#nanoTime()} of the last chunk or comment handed on (or of the subscription). */
        private volatile long lastSent = System.nanoTime();
        private volatile boolean started;
        private volatile boolean ended;

        Flux<byte[]> around(Flux<byte[]> chunks) {
            // the timer: one delay at a time, each one until the silence would reach the interval; a tick that finds
            // no demand (the socket busy: not silent) is dropped
            Flux<byte[]> checks = Mono.defer(() -> Mono.delay(Duration.ofNanos(untilDue()), timers))
                    .repeat()
                    .onBackpressureDrop()
                    .map(tick -> CHECK);
            // prefetch 1: the chunks' back-pressure stays end to end; the decisions are taken in handle, where the
            // merged signals come one at a time
            return Flux.merge(1, chunks.doOnComplete(() -> ended = true).concatWith(Mono.just(END)), checks)
                    .takeWhile(chunk -> chunk != END)
                    .handle(this::pass);
        }

        private void pass(byte[] chunk, SynchronousSink<byte[]> sink) {
            long now = System.nanoTime();
            if (chunk != CHECK) {
                started = true;
                lastSent = now;
                sink.next(chunk);
            } else if (started && !ended && now - lastSent >= intervalNanos) {
                lastSent = now;
                sink.next(COMMENT);
            }
        }

        /**
         * Until the silence reaches the interval; a full interval when it already has (the last check's comment is
         * not handed on yet, or nothing was sent so far).
         */
        private long untilDue() {
            long remaining = lastSent + intervalNanos - System.nanoTime();
            return remaining > 0 ? remaining : intervalNanos;
        }
    }
}
