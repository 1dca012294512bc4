package io.connectionswap.client.gateway;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.connectionswap.swapclient.ConnectionState;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.swapclient.SwapClient;
import java.time.Duration;
import java.util.List;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.util.unit.DataSize;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebFilter;
import reactor.adapter.JdkFlowAdapter;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** The gateway's routes on Spring's real router with its {@link GatewayErrorHandler}, for in-process route tests. */
final class GatewayOnSpringsRouter {

    /**
     * The gateway's settings with their defaults (4 MB requests, no API keys), but a fixed budget of request bytes,
     * 16 MiB (the default derives it from the JVM's heap: 44 MiB in the image, more in a test JVM).
     */
    static final GatewayProperties PROPERTIES = properties(Duration.ofSeconds(15));

    private GatewayOnSpringsRouter() {
    }

    /** {@link #PROPERTIES} with another {@code CONNECTION_SWAP_GATEWAY_SSE_KEEPALIVE}. */
    static GatewayProperties properties(Duration sseKeepAlive) {
        return new GatewayProperties(List.of(), DataSize.ofMegabytes(4), Duration.ofSeconds(10), Duration.ofSeconds(2),
                16, 65536, 0, Duration.ofSeconds(75), Duration.ofSeconds(60), Duration.ofSeconds(30), 0, List.of(),
                DataSize.ofMegabytes(16), sseKeepAlive);
    }

    /** A client of the routes over {@code client}, behind {@code filters}, with a budget of its own. */
    static WebTestClient http(SwapClient client, WebFilter... filters) {
        return http(client, budget(), filters);
    }

    /**
     * The routes over {@code client} on a real reactor-netty server on 127.0.0.1 (a free port), for what only a real
     * connection shows: a client that closes it. The caller disposes of it.
     */
    static DisposableServer serve(SwapClient client) {
        return serve(client, PROPERTIES);
    }

    /** {@link #serve(SwapClient)} with the gateway's settings {@code properties}. */
    static DisposableServer serve(SwapClient client, GatewayProperties properties) {
        ReactorHttpHandlerAdapter adapter = new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(
                routes(client, properties, budget()), strategies()));
        return HttpServer.create().host("127.0.0.1").port(0).handle(adapter).bindNow();
    }

    /** The gateway's routes over {@code client} with {@link #PROPERTIES} and a budget of their own. */
    static RouterFunction<ServerResponse> routes(SwapClient client) {
        return routes(client, PROPERTIES, budget());
    }

    /** The gateway's routes over {@code client} and {@code budget}, with no tracing and an empty page. */
    private static RouterFunction<ServerResponse> routes(SwapClient client, GatewayProperties properties,
                                                         RequestBytesBudget budget) {
        return GatewayRoutes.of(new CompletionsHandler(client, properties, null, budget, new AnswersInFlight(),
                        new SseKeepAlive(properties.sseKeepAlive(), Schedulers.parallel())),
                new ClusterHandler(client, properties), new ByteArrayResource(new byte[0]));
    }

    /**
     * A client connected to a director (as far as the gateway asks) whose every generation is a subscription to
     * {@code generation}.
     */
    static SwapClient connectedClient(Flux<GenerationEvent> generation) {
        SwapClient client = mock(SwapClient.class);
        when(client.connectionState()).thenReturn(new ConnectionState(true, "127.0.0.1:1", null, 0, null));
        when(client.generate(any(GenerationRequest.class), any(GenerationOptions.class)))
                .thenAnswer(call -> JdkFlowAdapter.publisherToFlowPublisher(generation));
        return client;
    }

    /** A new budget of {@link #PROPERTIES}' request bytes, counting no refusal. */
    static RequestBytesBudget budget() {
        return new RequestBytesBudget(PROPERTIES.maxBufferedRequestBytes().toBytes(), () -> { });
    }

    /** A client of the routes over {@code client} and {@code budget}, behind {@code filters}. */
    static WebTestClient http(SwapClient client, RequestBytesBudget budget, WebFilter... filters) {
        WebTestClient.RouterFunctionSpec spec = WebTestClient.bindToRouterFunction(routes(client, PROPERTIES, budget));
        for (WebFilter filter : filters) {
            spec.webFilter(filter);
        }
        return spec.handlerStrategies(strategies()).build();
    }

    private static HandlerStrategies strategies() {
        return HandlerStrategies.builder()
                .exceptionHandler(new GatewayErrorHandler(PROPERTIES.maxRequestSize().toBytes())).build();
    }
}
