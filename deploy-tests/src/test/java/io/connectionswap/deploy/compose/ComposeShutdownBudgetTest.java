package io.connectionswap.deploy.compose;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectionswap.deploy.k8s.ApplicationConfig;
import io.connectionswap.deploy.k8s.WorkerStop;
import io.connectionswap.testsupport.tools.ExternalTool;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code docker stop} sends SIGTERM and kills after the service's {@code stop_grace_period} (10 s when unset): each
 * role's own bound on its shutdown must fit inside it, or a drain is cut by SIGKILL. The Kubernetes twin:
 * {@code K8sManifestTest} (terminationGracePeriodSeconds).
 */
class ComposeShutdownBudgetTest {

    /** Docker's default stop timeout. */
    private static final Duration DOCKER_DEFAULT = Duration.ofSeconds(10);

    private static JsonNode services;

    @BeforeAll
    static void resolve() throws Exception {
        ExternalTool.DOCKER_COMPOSE.require(ComposeShutdownBudgetTest.class);
        services = ComposeConfig.resolve(Map.of()).path("services");
    }

    @Test
    void workersGetMoreTimeToStopThanTheirDrainTakes() {
        for (String worker : new String[] {"worker-a", "worker-b"}) {
            Duration drain = setting(worker, "worker", "CONNECTION_SWAP_DRAIN_TIMEOUT");
            assertThat(gracePeriod(worker))
                    .as("%s stop_grace_period vs CONNECTION_SWAP_DRAIN_TIMEOUT=%s, the connection closes and the exit",
                            worker, drain)
                    .isGreaterThan(WorkerStop.longest(drain));
        }
    }

    @Test
    void theDirectorGetsMoreTimeToStopThanItsDrainTakes() {
        Duration drain = setting("director", "director", "CONNECTION_SWAP_DIRECTOR_DRAIN_TIMEOUT");
        assertThat(gracePeriod("director")).as("director stop_grace_period vs CONNECTION_SWAP_DIRECTOR_DRAIN_TIMEOUT=%s",
                drain).isGreaterThan(drain);
    }

    @Test
    void theClientGetsMoreTimeToStopThanItsGatewayStreamsMayTake() {
        String phase = ApplicationConfig.of("client").at("spring.lifecycle.timeout-per-shutdown-phase").asText();
        assertThat(gracePeriod("client")).as("client stop_grace_period vs its shutdown phase %s", phase)
                .isGreaterThan(ApplicationConfig.duration(phase));
    }

    /** The service's environment value of {@code variable}, or the role's default. */
    private static Duration setting(String service, String role, String variable) {
        JsonNode value = services.path(service).path("environment").path(variable);
        String text = value.isMissingNode() ? ApplicationConfig.of(role).defaultOf(variable) : value.asText();
        assertThat(text).as("%s: %s (docker-compose.yml or the %s default)", service, variable, role).isNotBlank();
        return ApplicationConfig.duration(text);
    }

    private static Duration gracePeriod(String service) {
        JsonNode node = services.path(service);
        assertThat(node.isObject()).as("docker-compose.yml has service %s", service).isTrue();
        JsonNode grace = node.path("stop_grace_period");
        return grace.isMissingNode() ? DOCKER_DEFAULT : ApplicationConfig.duration(grace.asText());
    }
}
