package io.connectionswap.deploy.k8s;

import io.connectionswap.protocol.quic.ShutdownCloseWindow;
import java.time.Duration;

/**
 * How long a worker may take to stop after SIGTERM: its drain ({@code CONNECTION_SWAP_DRAIN_TIMEOUT}), then, when the
 * drain timed out, up to {@link ShutdownCloseWindow#CUT_STREAMS_WAIT} (1 s) for the director to read the streams it
 * ended, then up to {@link ShutdownCloseWindow#CONNECTION_CLOSE_WAIT} (1 s) for its QUIC connections' closes
 * ({@link ShutdownCloseWindow#afterDrainTimeout()} for both), then a second to close its socket and leave the JVM. A stop grace period (Compose or Kubernetes) must be longer, or SIGKILL cuts the closes
 * that tell the directors at once.
 */
public final class WorkerStop {

    /** The socket's close and the rest of the JVM's exit. */
    static final Duration CLOSING = Duration.ofSeconds(1);

    private WorkerStop() {
    }

    /** The longest stop of a worker whose drain timeout is {@code drain}. */
    public static Duration longest(Duration drain) {
        return drain.plus(ShutdownCloseWindow.afterDrainTimeout()).plus(CLOSING);
    }
}
