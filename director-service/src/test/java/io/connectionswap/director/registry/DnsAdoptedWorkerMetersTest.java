package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.DiscoveryProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.relay.SwapReason;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.HostPort;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A worker that DNS discovery finds before its registration arrives (the usual order in Kubernetes: the headless
 * Service publishes a new pod's IP before its JVM has started and registered) is adopted by its registration, which
 * renames it from its address to its label. {@code DirectorMeters.workerAdded} promises that
 * {@code connection_swap_swaps_total{reason, worker}} is there at 0 for every reason as soon as a worker joins, so that
 * {@code increase()} sees its first swap; for an adopted worker it was only ever called with the pod IP.
 */
class DnsAdoptedWorkerMetersTest {

    private final EventLoop loop = new DefaultEventLoop();
    private final SimpleMeterRegistry meterRegistry = new SimpleMeterRegistry();
    private final DirectorMeters meters = new DirectorMeters(meterRegistry, loop, SwapReason.ALL);
    private final DirectorProperties properties = TestDirectorProperties.of("d-test", Duration.ofMillis(100), "nio",
            false);
    private final WorkerRegistry registry = new WorkerRegistry(loop, Runnable::run, new FakeWorkerConnector(loop),
            properties, new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4), meters);
    private final DiscoveryProperties discovery = new DiscoveryProperties("worker-headless:62001",
            Duration.ofSeconds(5), 8081, "/actuator/health", Duration.ofSeconds(1));

    @AfterEach
    void tearDown() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void aWorkerFoundThroughDnsThenRegisteredHasItsSwapCountersAtZeroUnderItsLabel() {
        onLoop(() -> {
            registry.discovered(Set.of(new HostPort("10.244.1.5", 62001)), discovery);
            return null;
        });
        WorkerEndpoint worker = onLoop(() -> registry.register(new WorkerRegistration("worker-0", "10.244.1.5:62001",
                "http://10.244.1.5:8081/actuator/health", 50, "i-0", List.of("stand-in"))));
        assertThat(worker.label()).isEqualTo("worker-0");

        for (String reason : SwapReason.ALL) {
            Counter counter = meterRegistry.find("connection.swap.swaps").tag("reason", reason)
                    .tag("worker", "worker-0").counter();
            assertThat(counter).as("connection_swap_swaps_total{reason=%s,worker=worker-0} at 0 once the worker "
                    + "joined (as for a worker that registered before DNS found it)", reason).isNotNull();
        }
    }

    private <T> T onLoop(Callable<T> action) {
        try {
            return loop.submit(action).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
