package io.connectionswap.deploy.compose;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectionswap.deploy.k8s.ApplicationConfig;
import io.connectionswap.testsupport.tools.ExternalTool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml's environment, as {@code docker-compose config} resolves it (anchors merged): a variable a
 * service sets that its role never reads is silently ignored by Spring, so a typo or a variable of another role
 * looks like configuration and does nothing. The Kubernetes twin: {@code K8sManifestTest}.
 */
class ComposeEnvironmentTest {

    @Test
    void everyVariableSetForAServiceIsOneItsRoleReads() throws Exception {
        ExternalTool.DOCKER_COMPOSE.require(ComposeEnvironmentTest.class);
        JsonNode services = ComposeConfig.resolve(Map.of()).path("services");
        List<String> unread = new ArrayList<>();
        int built = 0;
        for (Map.Entry<String, JsonNode> service : services.properties()) {
            String module = service.getValue().path("build").path("args").path("SERVICE").asText();
            if (module.isEmpty()) {
                continue; // an image of someone else's (Prometheus, Grafana)
            }
            built++;
            ApplicationConfig app = ApplicationConfig.of(module.replace("-service", ""));
            for (Map.Entry<String, JsonNode> variable : service.getValue().path("environment").properties()) {
                String name = variable.getKey();
                if ((name.startsWith("CONNECTION_SWAP_") || name.startsWith("SERVER_")) && !app.reads(name)) {
                    unread.add(service.getKey() + ": " + name + " (" + app.file() + " has no ${" + name + ":...})");
                }
            }
        }
        assertThat(built).as("services built from docker/Dockerfile").isGreaterThanOrEqualTo(4);
        assertThat(unread).as("variables docker-compose.yml sets that the service's role never reads").isEmpty();
    }
}
