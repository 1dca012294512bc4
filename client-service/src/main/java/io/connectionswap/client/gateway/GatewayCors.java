package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.reactive.CorsProcessor;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.cors.reactive.DefaultCorsProcessor;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Lets pages of {@code CONNECTION_SWAP_GATEWAY_CORS_ORIGINS} call {@code /v1/**} and {@code /api/**} from a browser
 * (CORS): a preflight from one of them is answered here, before {@link ApiKeyFilter} (a preflight carries no key),
 * and every answer to them, errors included, carries {@code Access-Control-Allow-Origin} so the page can read it.
 * Any method and request header may be sent (the OpenAI SDKs add their own headers; a wrong method gets the routes'
 * 405); {@code Retry-After} and {@code X-Request-Id} may be read. No credentials (cookies): the gateway
 * authenticates with bearer keys. A preflight from another origin gets 403 with OpenAI's error JSON
 * ({@code origin_not_allowed}), so the browser sends nothing; another request from it is served without CORS
 * headers, so the browser keeps the answer from that page (it is not refused here: the gateway's own page behind a
 * proxy that rewrites {@code Host} carries an {@code Origin} the gateway cannot tell from another's). Requests
 * without an {@code Origin}, or from the gateway's own page, pass as before. Installed only when origins are set.
 */
final class GatewayCors implements WebFilter, Ordered {

    private static final Logger log = LoggerFactory.getLogger(GatewayCors.class);
    /** How long a browser may reuse a preflight's answer. */
    static final Duration PREFLIGHT_MAX_AGE = Duration.ofMinutes(10);

    private final CorsConfiguration configuration = new CorsConfiguration();
    private final CorsProcessor processor = new DefaultCorsProcessor();

    GatewayCors(List<String> origins) {
        configuration.setAllowedOriginPatterns(origins); // "*" as a pattern: any origin, echoed back
        configuration.addAllowedMethod(CorsConfiguration.ALL); // a wrong method gets the routes' 405, readable
        configuration.addAllowedHeader(CorsConfiguration.ALL);
        configuration.addExposedHeader(HttpHeaders.RETRY_AFTER);
        configuration.addExposedHeader(RequestIds.HEADER);
        configuration.setAllowCredentials(false);
        configuration.setMaxAge(PREFLIGHT_MAX_AGE);
        LogLine.info(log).quoted("origins", String.join(",", origins)).log("gateway cors origins");
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        if (!GatewayRoutes.isApi(request) || !CorsUtils.isCorsRequest(request)) {
            return chain.filter(exchange);
        }
        String origin = request.getHeaders().getOrigin();
        boolean preflight = CorsUtils.isPreFlightRequest(request);
        if (!preflight && configuration.checkOrigin(origin) == null) {
            // no CORS headers: the browser keeps the answer from a page of that origin. Not refused here: a page
            // served through a proxy that rewrites Host (nginx's default) looks cross-origin to the gateway only
            return chain.filter(exchange);
        }
        if (!processor.process(configuration, exchange)) {
            return Mono.error(GatewayError.originNotAllowed(origin));
        }
        return preflight ? Mono.empty() : chain.filter(exchange);
    }

    /** Before the API key check and the routes; after Spring's observation filter, so refusals count in its metrics. */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 10;
    }
}
