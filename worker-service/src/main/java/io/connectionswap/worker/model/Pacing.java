package io.connectionswap.worker.model;

import java.time.Duration;

/** When the generations of one {@link PacedBackend} emit their tokens. */
public enum Pacing {

    /** Each generation on its own clock: token 1 at once, then one every interval from there. */
    STAGGERED,

    /**
     * Every generation on one clock, as the decode steps of a batching engine (vLLM, SGLang, TensorRT-LLM) emit a
     * token for each running sequence at once: token 1 at once, then the generation joins the backend's ticks, which
     * fall on multiples of the interval of {@link System#nanoTime()}. A worker then writes its streams' tokens in
     * bursts.
     */
    LOCKSTEP;

    /** Nanoseconds from {@code nowNanos} to the generation's second tick. */
    long secondTickDelayNanos(long nowNanos, Duration interval) {
        long intervalNanos = interval.toNanos();
        return this == STAGGERED ? intervalNanos : intervalNanos - Math.floorMod(nowNanos, intervalNanos);
    }

    /** {@code staggered} or {@code lockstep} (any case); anything else fails naming {@code option}. */
    public static Pacing parse(String option, String value) {
        for (Pacing pacing : values()) {
            if (pacing.name().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return pacing;
            }
        }
        throw new IllegalArgumentException(option + "=" + value + " (expected: staggered or lockstep)");
    }
}
