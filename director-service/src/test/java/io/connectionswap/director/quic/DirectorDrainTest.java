package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.FakeWorkerConnector;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.director.relay.Relays;
import io.connectionswap.protocol.frame.FrameLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The drain's own clock: its timeout holds whatever the routing loops are doing. */
class DirectorDrainTest {

    private static final DirectorProperties PROPERTIES = TestDirectorProperties.defaults();
    private static final HealthProperties HEALTH = new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4);

    private final EventLoop routingLoop = new DefaultEventLoop();
    private final EventLoop drainLoop = new DefaultEventLoop();
    private final CountDownLatch routingLoopFree = new CountDownLatch(1);

    @AfterEach
    void stop() {
        routingLoopFree.countDown();
        routingLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        drainLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void theDrainEndsAtItsTimeoutEvenWhenARoutingLoopIsStuck() {
        DirectorMeters meters = new DirectorMeters(new SimpleMeterRegistry(), routingLoop);
        WorkerRegistry registry = new WorkerRegistry(routingLoop, Runnable::run, new FakeWorkerConnector(routingLoop),
                PROPERTIES, HEALTH, meters);
        Relays relays = new Relays(List.of(new Relay(registry, PROPERTIES, LimitProperties.DEFAULTS,
                FrameLimits.DEFAULTS, meters, System::nanoTime)));
        DirectorDrain drain = new DirectorDrain("d-test", Duration.ofMillis(300), drainLoop, relays, List::of,
                List::of);
        // a routing loop busy with something that does not end (a bug, a blocking call): its relay never drains
        routingLoop.execute(() -> {
            try {
                routingLoopFree.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        AtomicBoolean closed = new AtomicBoolean();

        drain.start(() -> closed.set(true));

        await().atMost(Duration.ofSeconds(5)).untilTrue(closed);
        assertThat(drain.draining()).isTrue();
    }
}
