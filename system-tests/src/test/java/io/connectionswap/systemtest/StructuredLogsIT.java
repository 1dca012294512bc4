package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.testsupport.process.ServiceProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Structured logs from the real jars: with {@code LOGGING_STRUCTURED_FORMAT_CONSOLE} set, a role prints one JSON object
 * per line, and the fields of its log lines (SLF4J key-value pairs) are JSON members, numbers as numbers, nested by
 * their dotted names in ECS and flat in logstash's format, beside the whole line in {@code message}.
 */
@ExtendWith(DumpLogsOnFailure.class)
class StructuredLogsIT {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A field, so that {@link DumpLogsOnFailure} prints the processes' logs when the test fails. */
    @AutoClose
    private ProcessCluster cluster;

    @Test
    void ecsAndLogstashLinesCarryTheFields(TestInfo test) {
        cluster = new ProcessCluster(test.getTestMethod().orElseThrow().getName(), "20ms");
        ServiceProcess director = cluster.startDirector("LOGGING_STRUCTURED_FORMAT_CONSOLE=ecs");
        ServiceProcess worker = cluster.startWorker("worker-a", "LOGGING_STRUCTURED_FORMAT_CONSOLE=logstash");
        cluster.awaitHealthyWorkers(1);
        ServiceProcess client = cluster.startClient("LOGGING_STRUCTURED_FORMAT_CONSOLE=ecs",
                "CONNECTION_SWAP_MAX_TOKENS=5");

        JsonNode healthy = awaitLine(director, "worker healthy");
        assertThat(healthy.path("log").path("level").asString()).as("ECS: Boot's own members").isEqualTo("INFO");
        assertThat(ecs(healthy, "worker.label").asString()).isEqualTo("worker-a");
        assertThat(ecs(healthy, "worker.addr").asString()).startsWith("127.0.0.1:");
        assertThat(ecs(healthy, "polls.up").isNumber()).as("polls.up is a number: " + healthy).isTrue();

        JsonNode opened = awaitLine(director, "client opened stream");
        assertThat(ecs(opened, "stream.id").isNumber()).as("stream.id is a number: " + opened).isTrue();
        assertThat(ecs(opened, "connection.id").asString()).startsWith("conn-");
        assertThat(ecs(opened, "prompt").asString()).as("the prompt's digest, never its text").contains("#");

        JsonNode handoff = awaitLine(worker, "accepted handoff from director");
        assertThat(handoff.path("level").asString()).as("logstash: Boot's own members").isEqualTo("INFO");
        assertThat(handoff.path("worker.label").asString()).as("a worker's worker= key, under its pair name")
                .isEqualTo("worker-a");
        assertThat(handoff.path("generation.id").asString()).isNotEmpty();
        assertThat(handoff.path("stream.id").isNumber()).isTrue();

        JsonNode connected = awaitLine(client, "connected to director");
        assertThat(ecs(connected, "director.addr").asString()).startsWith("127.0.0.1:");
        assertThat(connected.path("message").asString()).as("the whole line stays in message")
                .startsWith("director.addr=" + ecs(connected, "director.addr").asString() + " local.addr=");

        for (ServiceProcess process : List.of(director, worker, client)) {
            List<String> notJson = new ArrayList<>();
            for (String line : process.logText().split("\n")) {
                if (!line.isBlank() && parse(line).isEmpty()) {
                    notJson.add(line);
                }
            }
            assertThat(notJson).as(process.name() + ": lines that are not one JSON object").isEmpty();
        }
    }

    /** The first JSON line of {@code process} whose message ends with {@code text}, once it is there. */
    private static JsonNode awaitLine(ServiceProcess process, String text) {
        return await(process.name() + " logs '" + text + "' as JSON").atMost(DEADLINE)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> process.logLines(text).stream().map(StructuredLogsIT::parse).flatMap(Optional::stream)
                        .filter(line -> line.path("message").asString().endsWith(text)).findFirst(),
                        Optional::isPresent)
                .orElseThrow();
    }

    /** ECS nests a dotted key-value pair ({@code worker.label}) as objects: {@code "worker":{"label":…}}. */
    private static JsonNode ecs(JsonNode line, String dottedName) {
        JsonNode node = line;
        for (String part : dottedName.split("\\.")) {
            node = node.path(part);
        }
        return node;
    }

    private static Optional<JsonNode> parse(String line) {
        try {
            JsonNode node = JSON.readTree(line);
            return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
        } catch (JacksonException e) {
            return Optional.empty();
        }
    }
}
