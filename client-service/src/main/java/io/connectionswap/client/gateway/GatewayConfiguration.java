package io.connectionswap.client.gateway;

import io.connectionswap.client.metrics.ClientMeters;
import io.connectionswap.client.tracing.GatewayTracing;
import io.connectionswap.swapclient.SwapClient;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.scheduler.Schedulers;

/**
 * The OpenAI-compatible gateway and the live page, on the same port as Actuator unless {@code MANAGEMENT_SERVER_PORT}
 * gives Actuator one of its own (k8s/base/client.yaml does: the keys do not guard it): {@code POST /v1/completions},
 * {@code POST /v1/chat/completions}, {@code GET /v1/models}, {@code GET /v1/models/{model}}, {@code GET /api/status}
 * and the page at {@code /} ({@link GatewayRoutes}); not on Actuator's own port ({@link ActuatorOnlyPort}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GatewayProperties.class)
public class GatewayConfiguration {

    @Bean
    ActuatorOnlyPort actuatorOnlyPort(
            @Value("${management.endpoints.web.base-path:/actuator}") String actuatorBasePath) {
        return new ActuatorOnlyPort(actuatorBasePath);
    }

    @Bean
    AnswersInFlight gatewayAnswersInFlight() {
        return new AnswersInFlight();
    }

    /** With Spring's graceful shutdown only (the default): an immediate one cuts every answer at once anyway. */
    @Bean
    @ConditionalOnProperty(name = "server.shutdown", havingValue = "graceful", matchIfMissing = true)
    GatewayShutdown gatewayShutdown(AnswersInFlight answers,
                                    @Value("${spring.lifecycle.timeout-per-shutdown-phase:30s}") Duration shutdownPhase) {
        return new GatewayShutdown(answers, shutdownPhase);
    }

    @Bean
    RouterFunction<ServerResponse> gatewayRoutes(SwapClient client, GatewayProperties properties,
                                                 ObjectProvider<GatewayTracing> tracing, ClientMeters meters,
                                                 AnswersInFlight answers) {
        RequestBytesBudget budget = new RequestBytesBudget(properties.maxBufferedRequestBytes().toBytes(),
                meters.gatewayLimitHit("gateway_request_bytes"));
        meters.bindGatewayBufferedRequestBytes(budget::reserved);
        CompletionsHandler completions = new CompletionsHandler(client, properties, tracing.getIfAvailable(), budget,
                answers, new SseKeepAlive(properties.sseKeepAlive(), Schedulers.parallel()));
        ClusterHandler cluster = new ClusterHandler(client, properties);
        return GatewayRoutes.of(completions, cluster, new ClassPathResource("static/index.html"));
    }

    @Bean
    GatewayHttpTimeouts gatewayHttpTimeouts(GatewayProperties properties, ClientMeters meters) {
        return new GatewayHttpTimeouts(properties, meters.gatewayLimitHit("gateway_request_timeout"),
                meters.gatewayLimitHit("gateway_write_timeout"),
                meters.gatewayMalformedRequests(GatewayError.MALFORMED_HTTP_CODES));
    }

    @Bean
    GatewayConnectionLimit gatewayConnectionLimit(GatewayProperties properties, ClientMeters meters) {
        GatewayConnectionLimit limit = new GatewayConnectionLimit(properties.maxConnections(),
                meters.gatewayLimitHit("gateway_connections"));
        meters.bindGatewayHttpConnections(limit::open);
        return limit;
    }

    @Bean
    WebExceptionHandler gatewayErrorHandler(GatewayProperties properties) {
        return new GatewayErrorHandler(properties.maxRequestSize().toBytes());
    }

    @Bean
    WebFilter gatewayHttp10Answers() {
        return new Http10Answers();
    }

    @Bean
    WebFilter gatewayCors(GatewayProperties properties) {
        return properties.corsOrigins().isEmpty() ? (exchange, chain) -> chain.filter(exchange)
                : new GatewayCors(properties.corsOrigins());
    }

    @Bean
    WebFilter gatewayApiKeyFilter(GatewayProperties properties) {
        return properties.authenticationEnabled() ? new ApiKeyFilter(properties.apiKeys())
                : (exchange, chain) -> chain.filter(exchange);
    }
}
