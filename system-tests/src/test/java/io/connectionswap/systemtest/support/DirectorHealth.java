package io.connectionswap.systemtest.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.testsupport.process.ServiceProcess;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** What a director process's Actuator health says of its workers. */
public final class DirectorHealth {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private DirectorHealth() {
    }

    /**
     * Worker label (a worker found through DNS that never registered: its address) to the time of its last health
     * poll, from the director's health details.
     */
    public static Map<String, String> lastPolls(ServiceProcess director) {
        String body = director.get("/actuator/health");
        assertThat(body).as("director health").isNotNull();
        JsonNode workers = JSON.readTree(body).path("components").path("workers").path("details").path("workers");
        Map<String, String> polls = new HashMap<>();
        for (Map.Entry<String, JsonNode> worker : workers.properties()) {
            polls.put(worker.getKey().substring(0, worker.getKey().indexOf('@')),
                    worker.getValue().path("lastPoll").asString(""));
        }
        return polls;
    }
}
