package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.core.annotation.AnnotationAwareOrderComparator;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.util.unit.DataSize;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebFilter;

/**
 * {@link GatewayCors} in front of {@link ApiKeyFilter} on Spring's real WebFlux chain, ordered by their
 * {@code Ordered} as in the application: preflights answered before the key check, the allow-origin header on
 * answers and errors, OpenAI's error JSON for an origin not allowed, nothing changed for a request without
 * {@code Origin}.
 */
class GatewayCorsTest {

    private static final String APP = "https://app.example.com";

    private static WebTestClient gateway(List<String> origins) {
        return WebTestClient.bindToRouterFunction(RouterFunctions.route(POST("/v1/completions"),
                        request -> ServerResponse.ok().bodyValue("{\"ok\":true}")))
                .webFilter(Stream.of(new ApiKeyFilter(List.of("the-key")), new GatewayCors(origins))
                        .sorted(AnnotationAwareOrderComparator.INSTANCE).toArray(WebFilter[]::new)) // as the app does
                .handlerStrategies(HandlerStrategies.builder().exceptionHandler(new GatewayErrorHandler(1024)).build())
                .configureClient().baseUrl("http://gateway.test:8090") // a CORS check compares it with the Origin
                .build();
    }

    @Test
    void aPreflightFromAnAllowedOriginIsAnsweredBeforeTheKeyCheck() {
        gateway(List.of(APP)).options().uri("/v1/completions").header("Origin", APP)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type, x-stainless-os")
                .exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("Access-Control-Allow-Origin", APP)
                .expectHeader().valueEquals("Access-Control-Allow-Methods", "POST")
                .expectHeader().valueEquals("Access-Control-Allow-Headers", "authorization, content-type, x-stainless-os")
                .expectHeader().valueEquals("Access-Control-Max-Age", "600")
                .expectHeader().doesNotExist("Access-Control-Allow-Credentials");
    }

    @Test
    void answersAndErrorsToAnAllowedOriginCarryTheAllowOriginHeader() {
        WebTestClient gateway = gateway(List.of("http://localhost:3000", APP));
        gateway.post().uri("/v1/completions").header("Origin", APP).header("Authorization", "Bearer the-key")
                .exchange().expectStatus().isOk()
                .expectHeader().valueEquals("Access-Control-Allow-Origin", APP)
                .expectHeader().valueEquals("Access-Control-Expose-Headers", "Retry-After, X-Request-Id");
        gateway.post().uri("/v1/completions").header("Origin", APP).exchange()
                .expectStatus().isUnauthorized()
                .expectHeader().valueEquals("Access-Control-Allow-Origin", APP)
                .expectBody().jsonPath("$.error.code").isEqualTo("invalid_api_key");
    }

    @Test
    void anyOriginIsEchoedWithAStar() {
        gateway(List.of("*")).post().uri("/v1/completions").header("Origin", "http://10.0.0.7:5173")
                .header("Authorization", "Bearer the-key").exchange().expectStatus().isOk()
                .expectHeader().valueEquals("Access-Control-Allow-Origin", "http://10.0.0.7:5173");
    }

    @Test
    void aPreflightFromAnotherOriginGets403WithOpenAiErrorJson() {
        gateway(List.of(APP)).options().uri("/v1/completions").header("Origin", "https://evil.example.net")
                .header("Access-Control-Request-Method", "POST").exchange()
                .expectStatus().isForbidden()
                .expectHeader().doesNotExist("Access-Control-Allow-Origin")
                .expectBody().jsonPath("$.error.code").isEqualTo("origin_not_allowed")
                .jsonPath("$.error.message").isEqualTo("Requests from the origin 'https://evil.example.net' are not "
                        + "allowed (CONNECTION_SWAP_GATEWAY_CORS_ORIGINS)");
    }

    /**
     * Without a preflight (a simple request, or the gateway's own page behind a proxy that rewrote Host, which the
     * browser sees as same-origin) the request is served, with no CORS header: a browser on another origin keeps
     * the answer from its page.
     */
    @Test
    void anotherRequestFromAnotherOriginIsServedWithoutCorsHeaders() {
        gateway(List.of(APP)).post().uri("/v1/completions").header("Origin", "https://gateway.example.com")
                .header("Authorization", "Bearer the-key").exchange()
                .expectStatus().isOk()
                .expectHeader().doesNotExist("Access-Control-Allow-Origin");
    }

    @Test
    void aPreflightForAnyMethodFromAnAllowedOriginPassesSoTheRoutesAnswer() {
        gateway(List.of(APP)).options().uri("/v1/completions").header("Origin", APP)
                .header("Access-Control-Request-Method", "DELETE").exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("Access-Control-Allow-Origin", APP);
    }

    @Test
    void aRequestWithoutAnOriginIsNotAffected() {
        gateway(List.of(APP)).post().uri("/v1/completions").header("Authorization", "Bearer the-key").exchange()
                .expectStatus().isOk().expectHeader().doesNotExist("Access-Control-Allow-Origin");
    }

    @Test
    void anOriginWithAPathOrNoSchemeIsASettingError() {
        for (String bad : List.of("app.example.com", "https://app.example.com/", "https://app.example.com/chat",
                "ftp://app.example.com")) {
            assertThatThrownBy(() -> new GatewayProperties(List.of(), DataSize.ofMegabytes(4), Duration.ofSeconds(10),
                    Duration.ofSeconds(2), 16, 65536, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO, 0, List.of(APP, bad), null, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("CONNECTION_SWAP_GATEWAY_CORS_ORIGINS has '" + bad + "'");
        }
        new GatewayProperties(List.of(), DataSize.ofMegabytes(4), Duration.ofSeconds(10), Duration.ofSeconds(2), 16,
                65536, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO, 0, List.of("*", "http://[::1]:8080", " http://localhost:3000 "), null,
                Duration.ZERO);
    }
}
