package io.connectionswap.deploy.compose;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.deploy.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What ComposeIT checks is on the engine before {@code up}, and how it recognises a pull; no Docker needed. */
class RequiredImagesTest {

    @TempDir
    Path dir;

    @Test
    void theRepositoryDockerfileNeedsItsJreImageDefaultOrGiven() throws Exception {
        String dockerfile = Files.readString(Repository.resolve("docker/Dockerfile"));
        assertThat(RequiredImages.fromImages(dockerfile, Map.of())).containsExactly("eclipse-temurin:17-jre");
        assertThat(RequiredImages.fromImages(dockerfile, Map.of("JRE_IMAGE", "connection-swap/jre:17-local",
                "SERVICE", "worker-service"))).containsExactly("connection-swap/jre:17-local");
    }

    @Test
    void stagesScratchPlatformsContinuationsAndDefaults() {
        String dockerfile = """
                # syntax comment
                ARG BASE=debian:12
                ARG TOOLS
                FROM --platform=linux/amd64 ${BASE} AS build
                RUN echo \\
                    FROM not-an-instruction
                FROM ${TOOLS:-busybox:1.36} as tools
                FROM build
                from scratch
                FROM $BASE
                """;
        assertThat(RequiredImages.fromImages(dockerfile, Map.of())).containsExactly("debian:12", "busybox:1.36");
        assertThat(RequiredImages.fromImages(dockerfile, Map.of("BASE", "local/base:1", "TOOLS", "local/tools:2")))
                .containsExactly("local/base:1", "local/tools:2");
    }

    @Test
    void aComposeFileNeedsFromImagesOfBuiltServicesAndImagesOfTheOthers() throws Exception {
        Files.writeString(dir.resolve("Dockerfile"), "ARG JRE_IMAGE=eclipse-temurin:17-jre\nFROM ${JRE_IMAGE}\n");
        Path compose = Files.writeString(dir.resolve("docker-compose.yml"), """
                services:
                  app:
                    build:
                      context: %s
                      dockerfile: Dockerfile
                      args:
                        JRE_IMAGE: connection-swap/jre:17-local
                    image: connection-swap/app:it-1
                  other:
                    build:
                      context: %s
                    image: connection-swap/other:it-1
                  cache:
                    image: redis:7
                """.formatted(dir, dir));
        assertThat(RequiredImages.of(compose)).extracting(RequiredImages.Need::image)
                .containsExactly("connection-swap/jre:17-local", "eclipse-temurin:17-jre", "redis:7");
        assertThat(RequiredImages.of(compose).get(2).neededBy()).isEqualTo("service cache (no build section)");
    }

    @Test
    void pullLinesOfDockerComposeAndOfTheBuilderNameTheImage() throws Exception {
        Path quiet = Files.writeString(dir.resolve("quiet.log"), """
                Creating network "connectionswapit1_default" with the default driver
                Building director
                Step 1/8 : ARG JRE_IMAGE=eclipse-temurin:17-jre
                Step 2/8 : FROM ${JRE_IMAGE}
                 ---> 3f1d2e4c5b6a
                Successfully tagged connection-swap/director:it-1
                """);
        assertThat(PullWatch.scan(quiet)).isNull();
        assertThat(PullWatch.scan(dir.resolve("absent.log"))).isNull();

        Path service = Files.writeString(dir.resolve("service.log"),
                "Creating network x\nPulling prometheus (prom/prometheus:latest)...\n");
        assertThat(PullWatch.scan(service)).isEqualTo("prom/prometheus:latest");

        Path build = Files.writeString(dir.resolve("build.log"),
                "Step 2/8 : FROM ${JRE_IMAGE}\n17-jre: Pulling from library/eclipse-temurin\n");
        assertThat(PullWatch.scan(build)).isEqualTo("library/eclipse-temurin:17-jre");
    }
}
