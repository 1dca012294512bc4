package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.DiscoveryProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.HostPort;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A worker found through DNS that refused a hand-off with SHUTTING_DOWN (its SIGTERM came between two health polls)
 * is marked DRAINING by {@code Relay.workerDraining} → {@code WorkerRegistry.drain}. A DNS entry has no instance id
 * to tell the drained process from the next one, and DRAINING was left by nothing: not by a lost and redialled link,
 * not by any number of UP polls ({@code maybeHealthy} skips DRAINING), not by eviction (it stays listed in DNS), and
 * not by the restarted worker registering (an adopted DNS entry keeps its state). A worker restarted at the same
 * address (a container restart keeps its pod IP; a DNS-only worker, CONNECTION_SWAP_WORKER_REGISTER=false, or one
 * that registers) therefore never got a stream again from this director. Now the lost link ends DRAINING.
 */
class DrainedDnsWorkerRestartTest {

    private static final HostPort ADDRESS = new HostPort("127.0.0.1", 62001);

    private final EventLoop loop = new DefaultEventLoop();
    private final DiscoveryProperties discovery = new DiscoveryProperties("worker-headless:62001",
            Duration.ofSeconds(5), 8081, "/actuator/health", Duration.ofSeconds(1));
    private FakeWorkerConnector connector;
    private WorkerRegistry registry;

    @BeforeEach
    void setUp() {
        connector = new FakeWorkerConnector(loop);
        DirectorProperties properties = TestDirectorProperties.of("d-test", Duration.ofMillis(100), "nio", false);
        registry = new WorkerRegistry(loop, Runnable::run, connector, properties,
                new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4),
                new DirectorMeters(new SimpleMeterRegistry(), loop));
    }

    @AfterEach
    void tearDown() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void aDnsOnlyWorkerThatDrainedAndRestartedAtTheSameAddressComesBack() {
        WorkerEndpoint worker = drainedDnsWorker();

        restartAtTheSameAddress(worker);
        for (int i = 0; i < 10; i++) {
            poll(worker, PollResult.answered("UP", 200)); // the new process answers UP, again and again
        }

        assertThat(registry.workers()).as("still listed in DNS").hasSize(1);
        WorkerEndpoint current = registry.workers().get(0);
        assertThat(current.state()).as("the restarted worker at " + ADDRESS + " is healthy again")
                .isEqualTo(WorkerState.HEALTHY);
        assertThat(onLoop(() -> registry.pick(null, null))).isSameAs(current);
    }

    @Test
    void aDrainedDnsWorkerWhoseRestartRegistersComesBack() {
        WorkerEndpoint worker = drainedDnsWorker();

        restartAtTheSameAddress(worker);
        WorkerEndpoint registered = onLoop(() -> registry.register(new WorkerRegistration("worker-0",
                ADDRESS.toString(), "http://127.0.0.1:8081/actuator/health", 50, "i-new-process",
                List.of("stand-in"))));
        for (int i = 0; i < 10; i++) {
            poll(registered, PollResult.answered("UP", 200));
        }

        assertThat(registered.state()).as("a new instance registered at " + ADDRESS + " and answers UP")
                .isEqualTo(WorkerState.HEALTHY);
        assertThat(onLoop(() -> registry.pick(null, null))).isSameAs(registered);
    }

    /** Found through DNS, healthy, then it refused a hand-off with SHUTTING_DOWN (what Relay.workerDraining does). */
    private WorkerEndpoint drainedDnsWorker() {
        onLoop(() -> {
            registry.discovered(Set.of(ADDRESS), discovery);
            return null;
        });
        WorkerEndpoint worker = registry.workers().get(0);
        await().atMost(Duration.ofSeconds(5)).until(worker::linkUp);
        poll(worker, PollResult.answered("UP", 200));
        assertThat(worker.state()).isEqualTo(WorkerState.HEALTHY);
        registry.drain(worker, "refused a hand-off: worker refused the hand-off while draining");
        onLoop(() -> null);
        assertThat(worker.state()).isEqualTo(WorkerState.DRAINING);
        return worker;
    }

    /** The drained process exits (its link is lost), a new one binds the same address and the link is dialled again. */
    private void restartAtTheSameAddress(WorkerEndpoint worker) {
        FakeWorkerConnector.FakeConnection old = connector.connections.get(worker.label());
        onLoop(() -> {
            old.lose("worker closed its server");
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> connector.connections.get(worker.label()) != old
                && worker.linkUp());
        onLoop(() -> {
            registry.discovered(Set.of(ADDRESS), discovery); // still (again) in DNS
            return null;
        });
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
