package io.connectionswap.director.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import org.junit.jupiter.api.Test;

/** The worker tag of connection_swap_swaps_total keeps a bounded number of values. */
class BoundedTagValuesTest {

    @Test
    void valuesBeyondTheBoundAreOther() {
        BoundedTagValues tags = new BoundedTagValues(2);
        assertThat(tags.of("worker-a")).isEqualTo("worker-a");
        assertThat(tags.of("worker-b")).isEqualTo("worker-b");
        assertThat(tags.of("worker-c")).isEqualTo(BoundedTagValues.OTHER);
        assertThat(tags.of("worker-a")).isEqualTo("worker-a");
    }

    @Test
    void swapTotalHasAtMostMaxWorkerTagsPlusOtherSeries() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            DirectorMeters meters = new DirectorMeters(registry, loop);
            for (int i = 0; i < DirectorMeters.MAX_WORKER_TAGS + 50; i++) {
                meters.swapped("stall", "10.0.0." + i + ":62001");
            }
            assertThat(registry.find("connection.swap.swaps").counters()).hasSize(DirectorMeters.MAX_WORKER_TAGS + 1);
            assertThat(registry.get("connection.swap.swaps").tag("worker", "other").counter().count()).isEqualTo(50);
        } finally {
            loop.shutdownGracefully();
        }
    }
}
