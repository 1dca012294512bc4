package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * README (Architecture, Swaps): a worker leaves rotation when "its QUIC connection [is] lost ... It comes back after
 * four good polls" (the rise threshold, CONNECTION_SWAP_HEALTH_RISE). A worker that crashes (OOM, kill -9) and is
 * restarted at the same address by its supervisor (docker-compose's restart: unless-stopped, systemd) registers with a
 * new instance id; the registry replaced the entry with a fresh PENDING one, and PENDING became HEALTHY on the FIRST
 * UP poll. A crash-looping worker therefore re-entered rotation after one poll on every restart, and, having the
 * fewest active streams, took every new stream until it crashed again and they all moved (connection_lost).
 */
class CrashRestartRiseThresholdTest {

    private final EventLoop loop = new DefaultEventLoop();
    private FakeWorkerConnector connector;
    private WorkerRegistry registry;

    @BeforeEach
    void setUp() {
        connector = new FakeWorkerConnector(loop);
        DirectorProperties properties = TestDirectorProperties.of("d-test", Duration.ofMillis(100), "nio", false);
        // rise threshold 4, as the README's "four good polls"
        registry = new WorkerRegistry(loop, Runnable::run, connector, properties,
                new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4),
                new DirectorMeters(new SimpleMeterRegistry(), loop));
    }

    @AfterEach
    void tearDown() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void aWorkerThatCrashedAndRestartedAtTheSameAddressComesBackOnlyAfterTheRiseThreshold() {
        WorkerEndpoint crashed = register("i-before-crash");
        poll(crashed, PollResult.answered("UP", 200));
        assertThat(crashed.state()).isEqualTo(WorkerState.HEALTHY);

        // kill -9: the link is lost, the worker leaves rotation
        FakeWorkerConnector.FakeConnection link = connector.connections.get("worker-a");
        onLoop(() -> {
            link.lose("worker process died");
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> crashed.state() == WorkerState.UNHEALTHY);

        // its supervisor restarts it at the same address; it registers with a new instance id
        WorkerEndpoint restarted = register("i-after-crash");
        await().atMost(Duration.ofSeconds(5)).until(restarted::linkUp);
        poll(restarted, PollResult.answered("UP", 200));

        assertThat(restarted.eligible()).as("one good poll after a crash: the README says it comes back after four")
                .isFalse();
        for (int i = 0; i < 3; i++) {
            poll(restarted, PollResult.answered("UP", 200));
        }
        assertThat(restarted.eligible()).as("back after four good polls").isTrue();
    }

    private WorkerEndpoint register(String instance) {
        return onLoop(() -> registry.register(new WorkerRegistration("worker-a", "127.0.0.1:62001",
                "http://127.0.0.1:1/actuator/health", 50, instance, List.of("stand-in"))));
    }

    private void poll(WorkerEndpoint worker, PollResult result) {
        onLoop(() -> {
            registry.pollStarted(worker);
            registry.pollCompleted(worker, result);
            return null;
        });
    }

    private <T> T onLoop(Callable<T> action) {
        try {
            return loop.submit(action).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
