package io.connectionswap.client.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Optional bearer authentication of {@code /v1/**} and {@code /api/**} ({@code CONNECTION_SWAP_GATEWAY_API_KEYS}):
 * a request without one of the keys gets 401 with OpenAI's error JSON. The page at {@code /} and Actuator stay open.
 */
final class ApiKeyFilter implements WebFilter {

    private final List<byte[]> keys;

    ApiKeyFilter(List<String> keys) {
        this.keys = keys.stream().map(key -> key.getBytes(StandardCharsets.UTF_8)).toList();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!GatewayRoutes.isApi(exchange.getRequest()) || accepted(exchange)) {
            return chain.filter(exchange);
        }
        return Mono.error(GatewayError.unauthorized());
    }

    private boolean accepted(ServerWebExchange exchange) {
        String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : keys) {
            match |= MessageDigest.isEqual(key, given); // constant time per key
        }
        return match;
    }
}
