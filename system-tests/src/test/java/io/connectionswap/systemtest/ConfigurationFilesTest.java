package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.systemtest.support.InJvmCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An operator's {@code application.yaml} overrides a role's defaults ({@code <role>-service.yml}), the environment
 * overrides both, and the roles, sharing this JVM's classpath, never read each other's defaults. The file lies in a
 * {@code config/} directory named by {@code spring.config.additional-location} (this JVM's working directory is
 * shared by every test); Boot looks the names up alike in {@code ./} and {@code ./config/}.
 */
class ConfigurationFilesTest {

    @Test
    void roleDefaultsApplyWithoutAnApplicationFileAndStayWithTheirRole() {
        try (InJvmCluster cluster = new InJvmCluster("20ms")) {
            ConfigurableApplicationContext director = cluster.startDirector();
            ConfigurableApplicationContext worker = cluster.startWorker("worker-a", 0);

            assertThat(director.getBean(DirectorProperties.class).migrationLimit()).isEqualTo(3);
            assertThat(director.getEnvironment().getProperty("spring.application.name")).isEqualTo("director-service");
            assertThat(director.getEnvironment().getProperty("connection-swap.model.backend")).isNull();
            assertThat(director.getEnvironment().getProperty("connection-swap.worker.label")).isNull();

            assertThat(worker.getEnvironment().getProperty("spring.application.name")).isEqualTo("worker-service");
            assertThat(worker.getEnvironment().getProperty("connection-swap.model.backend")).isEqualTo("stand-in");
            assertThat(worker.getEnvironment().getProperty("connection-swap.director.migration-limit")).isNull();
        }
    }

    @Test
    void applicationYamlOverridesTheRoleDefaults(@TempDir Path workingDirectory) throws IOException {
        Path config = applicationYaml(workingDirectory);
        try (InJvmCluster cluster = new InJvmCluster("20ms")) {
            ConfigurableApplicationContext director =
                    cluster.startDirector("--spring.config.additional-location=optional:file:" + config + "/");

            assertThat(director.getBean(DirectorProperties.class).migrationLimit()).isEqualTo(7);
            assertThat(director.getEnvironment().getProperty("info.app.description")).isEqualTo("from application.yaml");
            // what the file leaves alone keeps the role's default
            assertThat(director.getEnvironment().getProperty("spring.application.name")).isEqualTo("director-service");
        }
    }

    @Test
    void theEnvironmentVariableOverridesApplicationYaml(@TempDir Path workingDirectory) throws IOException {
        Path config = applicationYaml(workingDirectory);
        try (InJvmCluster cluster = new InJvmCluster("20ms")) {
            ConfigurableApplicationContext director = cluster.startDirector(
                    "--spring.config.additional-location=optional:file:" + config + "/",
                    "--CONNECTION_SWAP_MIGRATION_LIMIT=2");

            assertThat(director.getBean(DirectorProperties.class).migrationLimit()).isEqualTo(2);
            assertThat(director.getEnvironment().getProperty("info.app.description")).isEqualTo("from application.yaml");
        }
    }

    private static Path applicationYaml(Path workingDirectory) throws IOException {
        Path config = Files.createDirectories(workingDirectory.resolve("config"));
        Files.writeString(config.resolve("application.yaml"), """
                connection-swap:
                  director:
                    migration-limit: 7
                info:
                  app:
                    description: from application.yaml
                """);
        return config;
    }
}
