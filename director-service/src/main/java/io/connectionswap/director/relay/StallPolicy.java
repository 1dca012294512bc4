package io.connectionswap.director.relay;

import io.connectionswap.director.config.DirectorProperties;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * When a worker hangs and when one of its streams stalls. Pure decisions on times passed in ({@code System.nanoTime()}
 * values), so they are tested without a clock.
 *
 * <ul>
 *   <li><b>Hang</b>: the director's link heartbeat (every 100 ms, echoed by the worker's event loop) proves the worker
 *       process runs. A worker silent on its link and on every stream for longer than {@code stallMinimum} hangs:
 *       all its streams move.</li>
 *   <li><b>Everyone silent at once</b>: when every worker in rotation is silent on its link at the same time, the
 *       likelier cause is on the director's side (its host starved of CPU, its network) than a hang of each, and
 *       taking them all out would leave no worker to move their streams to. Such a silence is a hang only after
 *       {@value #COLLECTIVE_SILENCE_FACTOR} stall minimums; the health poller may take the workers out sooner.</li>
 *   <li><b>Fixed-pace worker</b> (registered with a token interval, the stand-in): once the worker answered the
 *       hand-off, a stream is stalled after {@code stallFactor} token intervals (at least {@code stallMinimum})
 *       without a frame. Before that answer it has the first-token allowance, like any worker: a live worker that
 *       is slow to answer a burst of new streams is loaded, not hung (a hung one is found by its heartbeat), and
 *       moving its new streams would only move the load.</li>
 *   <li><b>Self-paced worker</b> (token interval 0, a real model): while the worker is alive, a stream is stalled only
 *       after {@code firstTokenTimeout} without its first token, or {@code tokenGapTimeout} between two tokens.
 *       A slow first token or uneven gaps within those allowances never move a stream.</li>
 * </ul>
 */
final class StallPolicy {

    /** Stall minimums a worker in rotation may be silent while every other worker in rotation is silent too. */
    static final int COLLECTIVE_SILENCE_FACTOR = 10;

    private final long stallMinimumNanos;
    private final int stallFactor;
    private final long firstTokenNanos;
    private final long tokenGapNanos;

    StallPolicy(Duration stallMinimum, int stallFactor, Duration firstTokenTimeout, Duration tokenGapTimeout) {
        this.stallMinimumNanos = stallMinimum.toNanos();
        this.stallFactor = stallFactor;
        this.firstTokenNanos = firstTokenTimeout.toNanos();
        this.tokenGapNanos = tokenGapTimeout.toNanos();
    }

    static StallPolicy of(DirectorProperties properties) {
        return new StallPolicy(properties.stallMinimum(), properties.stallFactor(), properties.firstTokenTimeout(),
                properties.tokenGapTimeout());
    }

    /** Whether a worker whose last sign of life (heartbeat echo or frame) was at {@code lastAliveNanos} hangs. */
    boolean hung(long nowNanos, long lastAliveNanos) {
        return nowNanos - lastAliveNanos > stallMinimumNanos;
    }

    /**
     * Whether a worker has shown no sign of life for half a stall minimum: quiet. When the director's host stalls,
     * every worker falls quiet at once, but their silences begin up to a heartbeat apart (the last echo of one may come
     * a little after the last of another, or after its last frame), so the first to pass a limit finds the others
     * quiet rather than past it; a worker that answers is heard from every heartbeat (100 ms).
     */
    boolean quiet(long nowNanos, long lastAliveNanos) {
        return nowNanos - lastAliveNanos > stallMinimumNanos / 2;
    }

    long hangLimitNanos() {
        return stallMinimumNanos;
    }

    /** How long a worker in rotation may be silent before it hangs while every worker in rotation is silent. */
    long collectiveHangLimitNanos() {
        return stallMinimumNanos * COLLECTIVE_SILENCE_FACTOR;
    }

    /**
     * How long a stream may go without a frame from its (live) worker.
     *
     * @param tokenInterval     the worker's advertised interval; zero for a self-paced worker
     * @param handedOff         the worker answered the hand-off (its first frame arrived)
     * @param firstTokenRelayed a token of this leg was relayed
     */
    long streamLimitNanos(Duration tokenInterval, boolean handedOff, boolean firstTokenRelayed) {
        if (tokenInterval.isZero()) {
            return firstTokenRelayed ? tokenGapNanos : firstTokenNanos;
        }
        return handedOff ? Math.max(stallMinimumNanos, tokenInterval.toNanos() * stallFactor) : firstTokenNanos;
    }

    /** Words for a stream limit in logs and RETRY details. */
    String describeStreamLimit(Duration tokenInterval, boolean handedOff, boolean firstTokenRelayed) {
        long millis = TimeUnit.NANOSECONDS.toMillis(streamLimitNanos(tokenInterval, handedOff, firstTokenRelayed));
        if (tokenInterval.isZero()) {
            return firstTokenRelayed ? "no token for more than " + millis + " ms (CONNECTION_SWAP_TOKEN_GAP_TIMEOUT)"
                    : "no first token for more than " + millis + " ms (CONNECTION_SWAP_FIRST_TOKEN_TIMEOUT)";
        }
        return handedOff ? "no frame for more than " + millis + " ms (" + stallFactor + " token intervals)"
                : "no answer to the hand-off for more than " + millis + " ms (CONNECTION_SWAP_FIRST_TOKEN_TIMEOUT)";
    }
}
