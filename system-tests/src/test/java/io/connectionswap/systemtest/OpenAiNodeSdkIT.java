package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.model.ChatTemplate;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.GatewayHttp;
import io.connectionswap.systemtest.support.NodeOpenAiSdk;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.testsupport.process.ServiceProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * The official OpenAI Node SDK (npm {@code openai}, as a JavaScript application uses it) against the gateway's
 * process: it lists the models, then streams a chat completion with {@code for await}; after ten chunks the worker
 * producing them is killed with {@code kill -9}. The SDK reads on with no error and the text is exactly the unbroken
 * generation's, over the gateway's one connection to the director.
 */
@ExtendWith(DumpLogsOnFailure.class)
class OpenAiNodeSdkIT {

    private static final Duration LINE_TIMEOUT = Duration.ofSeconds(30);

    @AutoClose
    private ProcessCluster cluster;

    @Test
    void theNodeSdkStreamSurvivesKillNineOfTheServingWorkerWithTheExactText() throws Exception {
        NodeOpenAiSdk sdk = NodeOpenAiSdk.install(OpenAiNodeSdkIT.class);
        cluster = new ProcessCluster("OpenAiNodeSdkIT", "50ms");
        cluster.startDirector();
        cluster.startTwoWorkers();
        ServiceProcess gateway = cluster.startGateway();

        String prompt = "A JavaScript app keeps reading while its worker dies";
        int tokens = 60;
        StringBuilder text = new StringBuilder();
        List<String> workers = new ArrayList<>();
        ServiceProcess killed = null;
        JsonNode done = null;
        try (NodeOpenAiSdk.Run run = sdk.run("stream-chat.mjs", "http://127.0.0.1:" + gateway.httpPort() + "/v1",
                prompt, String.valueOf(tokens))) {
            assertThat(GatewayHttp.json(run.nextLine(LINE_TIMEOUT)).path("models").valueStream()
                    .map(JsonNode::asString).toList()).as("client.models.list()").containsExactly("stand-in");
            for (String line = run.nextLine(LINE_TIMEOUT); line != null; line = run.nextLine(LINE_TIMEOUT)) {
                JsonNode event = GatewayHttp.json(line);
                if (event.path("done").asBoolean(false)) {
                    done = event;
                    continue;
                }
                text.append(event.path("text").asString());
                workers.add(event.path("worker").asString());
                if (workers.size() == 10) {
                    String serving = workers.get(9);
                    killed = cluster.processes().stream().filter(process -> process.name().equals(serving))
                            .findFirst().orElseThrow(() -> new AssertionError("no process " + serving));
                    killed.kill9();
                }
            }
            assertThat(run.exitCode(LINE_TIMEOUT)).as("node's exit code; stderr: %s", run.errors()).isZero();
        }

        assertThat(killed).as("a worker was killed mid-stream").isNotNull();
        assertThat(done).as("the stream ended with data: [DONE]").isNotNull();
        assertThat(done.path("requestId").asString()).as("x-request-id, read by the SDK").isNotBlank();
        assertThat(text.toString()).isEqualTo(new DeterministicTokenModel().text(
                ChatTemplate.render(List.of(new ChatMessage("user", prompt))), 1, tokens));
        String killedName = killed.name();
        assertThat(workers.subList(10, workers.size())).as("chunks after the kill")
                .isNotEmpty().doesNotContain(killedName);
        assertThat(cluster.director().metrics().sum("connection_swap_swaps_total", "worker", killedName))
                .isGreaterThanOrEqualTo(1);
        assertThat(cluster.director().metrics().sum("connection_swap_connections_opened_total", "peer", "client"))
                .as("client connections the director accepted").isEqualTo(1);
        assertThat(gateway.metrics().sum("connection_swap_client_sequence_errors_total")).isZero();
    }
}
