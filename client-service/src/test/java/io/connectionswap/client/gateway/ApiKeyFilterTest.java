package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

class ApiKeyFilterTest {

    private final ApiKeyFilter filter = new ApiKeyFilter(List.of("key-one", "key-two"));
    private final AtomicInteger passed = new AtomicInteger();
    private final WebFilterChain chain = exchange -> {
        passed.incrementAndGet();
        return Mono.empty();
    };

    private Throwable run(MockServerHttpRequest.BaseBuilder<?> request) {
        try {
            filter.filter(MockServerWebExchange.from(request), chain).block();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    @Test
    void theApiNeedsOneOfTheKeys() {
        assertThat(run(MockServerHttpRequest.post("/v1/completions"))).isInstanceOfSatisfying(GatewayError.class,
                error -> {
                    assertThat(error.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
                    assertThat(error.code()).isEqualTo("invalid_api_key");
                });
        assertThat(run(MockServerHttpRequest.get("/api/status").header("Authorization", "Bearer wrong")))
                .isInstanceOf(GatewayError.class);
        assertThat(run(MockServerHttpRequest.get("/v1/models").header("Authorization", "Basic key-one")))
                .isInstanceOf(GatewayError.class);
        assertThat(passed).hasValue(0);

        assertThat(run(MockServerHttpRequest.post("/v1/completions").header("Authorization", "Bearer key-two"))).isNull();
        assertThat(run(MockServerHttpRequest.get("/v1/models").header("Authorization", "bearer key-one"))).isNull();
        assertThat(passed).hasValue(2);
    }

    @Test
    void thePageAndActuatorStayOpen() {
        assertThat(run(MockServerHttpRequest.get("/"))).isNull();
        assertThat(run(MockServerHttpRequest.get("/app.js"))).isNull();
        assertThat(run(MockServerHttpRequest.get("/actuator/health"))).isNull();
        assertThat(passed).hasValue(3);
    }
}
