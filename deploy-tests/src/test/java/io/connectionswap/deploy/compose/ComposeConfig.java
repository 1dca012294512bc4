package io.connectionswap.deploy.compose;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.connectionswap.deploy.Command;
import io.connectionswap.deploy.Repository;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * The repository's docker-compose.yml as {@code docker-compose config} prints it: anchors merged, {@code ${...}}
 * substituted from {@code knobs} (and their defaults), relative paths made absolute.
 */
final class ComposeConfig {

    private ComposeConfig() {
    }

    static ObjectNode resolve(Map<String, String> knobs) throws IOException {
        String resolved = Command.of("docker-compose", "-f", Repository.resolve("docker-compose.yml").toString(),
                        "config")
                .env(knobs)
                .directory(Repository.root())
                .timeout(Duration.ofMinutes(2))
                .runOrFail();
        return (ObjectNode) new YAMLMapper().readTree(resolved);
    }
}
