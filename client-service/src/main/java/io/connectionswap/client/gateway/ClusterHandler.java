package io.connectionswap.client.gateway;

import io.connectionswap.protocol.message.ClusterStatus;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.swapclient.ConnectionState;
import io.connectionswap.swapclient.SwapClient;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the director knows about its workers, asked over the gateway's QUIC connection (STATUS_REQUEST):
 * {@code GET /v1/models} lists the models healthy workers serve, {@code GET /v1/models/{model}} answers one of them,
 * {@code GET /api/status} (the live page) every worker with its state.
 */
final class ClusterHandler {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final SwapClient client;
    private final long retryAfterSeconds;
    /** A model object's {@code created}: when this gateway started (the servers behind do not say). */
    private final long created = Instant.now().getEpochSecond();

    ClusterHandler(SwapClient client, GatewayProperties properties) {
        this.client = client;
        this.retryAfterSeconds = Math.max(1, properties.retryAfter().toSeconds());
    }

    Mono<ServerResponse> models(ServerRequest request) {
        return status().flatMap(status -> {
            ObjectNode body = OpenAiResponses.JSON.createObjectNode();
            body.put("object", "list");
            ArrayNode data = body.putArray("data");
            servedModels(status).forEach(model -> describe(model, data.addObject(), created));
            return json(body);
        });
    }

    /**
     * {@code GET /v1/models/{model}}: the model, if a healthy worker serves it (a model id may hold slashes). As a
     * generation for it would be answered: 503 {@code no_healthy_worker} (with {@code Retry-After}) while only
     * workers that are down serve it, or while no worker is registered (a director that just restarted knows no
     * model yet); 404 {@code model_not_found} when registered workers serve others only, and at once for a name no
     * worker can register ({@link GenerationRequest#validModelName}: too long, blank, a control character).
     */
    Mono<ServerResponse> model(ServerRequest request) {
        String model = request.pathVariable("model").substring(1); // {*model} starts with the slash
        if (!GenerationRequest.validModelName(model)) {
            return Mono.error(GatewayError.modelNotFound(model));
        }
        return status().flatMap(status -> {
            if (servedModels(status).contains(model)) {
                return json(describe(model, OpenAiResponses.JSON.createObjectNode(), created));
            }
            if (status.workers().isEmpty()
                    || status.workers().stream().anyMatch(worker -> worker.models().contains(model))) {
                // a model name (checked above): quoted whole
                return Mono.error(GatewayError.noHealthyWorker("no healthy worker serves model '"
                        + model + "' now (" + status.workers().size()
                        + " registered); retry later", retryAfterSeconds));
            }
            return Mono.error(GatewayError.modelNotFound(model));
        });
    }

    /** The models of the workers that take new streams (or are healthy), in the director's order. */
    private static Set<String> servedModels(ClusterStatus status) {
        Set<String> models = new LinkedHashSet<>();
        for (ClusterStatus.WorkerStatus worker : status.workers()) {
            if (worker.eligible() || "HEALTHY".equals(worker.state())) {
                models.addAll(worker.models());
            }
        }
        return models;
    }

    /** OpenAI's model object. */
    private static ObjectNode describe(String model, ObjectNode entry, long created) {
        entry.put("id", model);
        entry.put("object", "model");
        entry.put("created", created);
        entry.put("owned_by", "connection-swap");
        return entry;
    }

    private static Mono<ServerResponse> json(ObjectNode body) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(body.toString());
    }

    Mono<ServerResponse> status(ServerRequest request) {
        ConnectionState connection = client.connectionState();
        return status().flatMap(status -> {
            ObjectNode body = OpenAiResponses.JSON.createObjectNode();
            body.put("connected", connection.connected());
            body.put("director", connection.director());
            body.put("directorId", status.directorId());
            ArrayNode workers = body.putArray("workers");
            for (ClusterStatus.WorkerStatus worker : status.workers()) {
                ObjectNode entry = workers.addObject();
                entry.put("label", worker.label());
                entry.put("address", worker.address());
                entry.put("state", worker.state());
                entry.put("eligible", worker.eligible());
                entry.put("activeStreams", worker.activeStreams());
                worker.models().forEach(entry.putArray("models")::add);
            }
            return json(body);
        });
    }

    private Mono<ClusterStatus> status() {
        return Mono.fromFuture(client::status)
                .timeout(TIMEOUT)
                .onErrorMap(failure -> !(failure instanceof GatewayError),
                        failure -> GatewayError.statusUnavailable(client.connectionState().connected(),
                                "cannot ask the director for its workers: " + failure, retryAfterSeconds));
    }
}
