package io.connectionswap.client.gateway;

import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Actuator's own port serves Actuator only. With {@code MANAGEMENT_SERVER_PORT} set, Spring Boot's WebFlux management
 * server also routes the application's handlers, so the gateway's API ({@code /v1/...}, {@code /api/status}), its
 * live page and its static files answered there as well: on a port that deployments open to Prometheus only
 * (k8s/base) and that users take for Actuator's alone. Any other path there is a 404. The port is learnt when the
 * management server starts (its context's server namespace is {@code management}); while Actuator shares the
 * gateway's port, nothing is filtered.
 */
final class ActuatorOnlyPort implements WebFilter, ApplicationListener<WebServerInitializedEvent> {

    private static final String MANAGEMENT_NAMESPACE = "management";

    /** Actuator's base path, e.g. {@code /actuator}; empty when Actuator has the whole port. */
    private final String basePath;
    /** The management server's port; -1 while there is none. */
    private volatile int port = -1;

    /** {@code basePath}: {@code management.endpoints.web.base-path}. */
    ActuatorOnlyPort(String basePath) {
        this.basePath = basePath.equals("/") ? "" : basePath;
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (MANAGEMENT_NAMESPACE.equals(event.getApplicationContext().getServerNamespace())) {
            port = event.getWebServer().getPort();
        }
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        int actuator = port;
        if (actuator < 0 || basePath.isEmpty()) {
            return chain.filter(exchange);
        }
        var local = exchange.getRequest().getLocalAddress();
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (local == null || local.getPort() != actuator || path.equals(basePath) || path.startsWith(basePath + "/")) {
            return chain.filter(exchange);
        }
        return Mono.error(new ResponseStatusException(HttpStatus.NOT_FOUND,
                "port " + actuator + " serves Actuator only (" + basePath + "); the gateway is on its server port"));
    }
}
