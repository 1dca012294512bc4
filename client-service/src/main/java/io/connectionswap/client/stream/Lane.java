package io.connectionswap.client.stream;

import java.time.Duration;

/** One sequence of generations of the {@link GenerationLoop}; it has at most one stream open. Loop-confined. */
final class Lane {

    Generation current;
    Duration backoff;
    boolean streamOpen;
}
