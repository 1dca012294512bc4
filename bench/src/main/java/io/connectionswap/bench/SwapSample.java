package io.connectionswap.bench;

/**
 * One swap as the bench client saw it, every time on the bench JVM's clock.
 *
 * @param stream        index of the generation in its round
 * @param reason        the RETRY's reason (drain, connection_lost, stall, health, stream_error)
 * @param failedWorker  the RETRY's failed worker
 * @param newWorker     the worker that served the first token after the swap
 * @param sameConnection whether the client resumed on its connection (false: the reconnect baseline)
 * @param lastBeforeNanos receive time of the last token before the swap
 * @param retryNanos    receive time of the RETRY frame
 * @param firstAfterNanos receive time of the first token after the swap
 */
record SwapSample(int stream, String reason, String failedWorker, String newWorker, boolean sameConnection,
                  long lastBeforeNanos, long retryNanos, long firstAfterNanos) {

    /** Last token before to first token after, minus one normal token interval. */
    long extraGapNanos(long tokenIntervalNanos) {
        return firstAfterNanos - lastBeforeNanos - tokenIntervalNanos;
    }

    /** RETRY received to first token after: what the client pays once it knows. */
    long recoveryNanos() {
        return firstAfterNanos - retryNanos;
    }
}
