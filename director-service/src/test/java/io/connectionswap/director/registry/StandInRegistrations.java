package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.message.WorkerRegistration;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Stand-in workers (StandInQuicServer) registered with a real {@link WorkerRegistry}, on its loop as the registration
 * stream does: the tests' one way to a worker that is linked and healthy.
 */
final class StandInRegistrations {

    private StandInRegistrations() {
    }

    /**
     * Registers the stand-in listening at 127.0.0.1:{@code port} as {@code label} ({@code instanceId}), waits up to
     * {@code deadline} for its link and passes a health poll: the worker is HEALTHY.
     */
    static WorkerEndpoint healthy(WorkerRegistry registry, String label, String instanceId, int port,
                                  Duration deadline) {
        WorkerEndpoint endpoint = register(registry, label, instanceId, port, deadline);
        await("the link is up").atMost(deadline).until(endpoint::linkUp);
        onLoop(registry, deadline, () -> {
            registry.pollStarted(endpoint);
            registry.pollCompleted(endpoint, PollResult.answered("UP", 200));
            return null;
        });
        assertThat(endpoint.state()).isEqualTo(WorkerState.HEALTHY);
        return endpoint;
    }

    /** Registers the stand-in listening at 127.0.0.1:{@code port} as {@code label} ({@code instanceId}). */
    static WorkerEndpoint register(WorkerRegistry registry, String label, String instanceId, int port,
                                   Duration deadline) {
        return onLoop(registry, deadline, () -> registry.register(new WorkerRegistration(label, "127.0.0.1:" + port,
                "http://127.0.0.1:1/actuator/health", 50, instanceId, List.of("stand-in"))));
    }

    private static <T> T onLoop(WorkerRegistry registry, Duration deadline, Callable<T> action) {
        try {
            return registry.loop().submit(action).get(deadline.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
