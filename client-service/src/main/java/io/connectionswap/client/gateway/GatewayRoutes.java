package io.connectionswap.client.gateway;

import static org.springframework.web.reactive.function.server.RequestPredicates.path;

import org.springframework.core.io.Resource;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The gateway's URL table. Another method on a path it serves gets a 405 with {@code Allow}, any other path under
 * {@code /v1/} or {@code /api/} a 404 {@code unknown_url}: both as OpenAI's error JSON ({@link GatewayErrorHandler}),
 * instead of Spring's "No static resource" 404 for either.
 */
final class GatewayRoutes {

    /** What the gateway serves, as the 404 of an unknown URL says it. */
    static final String SERVED = "POST /v1/completions, POST /v1/chat/completions, GET /v1/models, "
            + "GET /v1/models/{model} and GET /api/status";

    private GatewayRoutes() {
    }

    /**
     * Whether {@code path} is under the gateway's API ({@code /v1} or {@code /api}): where keys, CORS and OpenAI's
     * error JSON apply; the live page at {@code /} and Actuator are not. Read as the router reads it, the first segment
     * decoded and without its {@code ;} parameters: on the raw path {@code /v%31/models} and {@code /v1;x=y/models}
     * were no API (no key asked for) though the router served them as {@code /v1/models}.
     */
    static boolean isApi(PathContainer path) {
        for (PathContainer.Element element : path.elements()) {
            if (element instanceof PathContainer.PathSegment segment) {
                String first = segment.valueToMatch();
                return first.equals("v1") || first.equals("api");
            }
        }
        return false;
    }

    /** {@link #isApi(PathContainer)} of the request's path within the application. */
    static boolean isApi(ServerHttpRequest request) {
        return isApi(request.getPath().pathWithinApplication());
    }

    static RouterFunction<ServerResponse> of(CompletionsHandler completions, ClusterHandler cluster, Resource page) {
        return RouterFunctions.route()
                .POST("/v1/completions", completions::completions)
                .POST("/v1/chat/completions", completions::chatCompletions)
                .GET("/v1/models", cluster::models)
                .GET("/v1/models/{*model}", cluster::model)
                .GET("/api/status", cluster::status)
                // HEAD wherever GET is (RFC 9110 9.3.2): the same answer, its body left out by the server
                .HEAD("/v1/models", cluster::models)
                .HEAD("/v1/models/{*model}", cluster::model)
                .HEAD("/api/status", cluster::status)
                .GET("/", request -> ServerResponse.ok().contentType(MediaType.TEXT_HTML).bodyValue(page))
                .route(path("/v1/completions").or(path("/v1/chat/completions")), onlyMethod("POST"))
                .route(path("/v1/models").or(path("/v1/models/**")).or(path("/api/status")), onlyMethod("GET, HEAD"))
                .route(path("/v1/**").or(path("/api/**")), request -> Mono.error(
                        GatewayError.unknownUrl(request.method().name(), request.path())))
                .build();
    }

    private static HandlerFunction<ServerResponse> onlyMethod(String allowed) {
        return request -> Mono.error(GatewayError.methodNotAllowed(request.method().name(), request.path(), allowed));
    }
}
