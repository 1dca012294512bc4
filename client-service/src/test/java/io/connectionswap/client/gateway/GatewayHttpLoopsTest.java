package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.config.EventLoopCount;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.reactor.netty.autoconfigure.NettyReactiveWebServerAutoConfiguration;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.web.server.context.ServerPortInfoApplicationContextInitializer;
import org.springframework.boot.web.server.reactive.context.AnnotationConfigReactiveWebServerApplicationContext;
import org.springframework.boot.webflux.autoconfigure.HttpHandlerAutoConfiguration;
import org.springframework.boot.webflux.autoconfigure.WebFluxAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.test.util.ReflectionTestUtils;
import org.springframework.util.unit.DataSize;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The gateway's HTTP server runs on its own loops, as many as {@code CONNECTION_SWAP_GATEWAY_HTTP_LOOPS} says, not on
 * reactor-netty's global ones (at least 4): a real Netty server, each request on a connection of its own, answering
 * with the name of the thread that handled it.
 */
class GatewayHttpLoopsTest {

    private final ReactiveWebApplicationContextRunner runner =
            new ReactiveWebApplicationContextRunner(AnnotationConfigReactiveWebServerApplicationContext::new)
                    .withConfiguration(AutoConfigurations.of(NettyReactiveWebServerAutoConfiguration.class,
                            HttpHandlerAutoConfiguration.class, WebFluxAutoConfiguration.class))
                    .withUserConfiguration(GatewayHttpLoops.class, ThreadNameRoute.class)
                    .withInitializer(new ServerPortInfoApplicationContextInitializer())
                    .withPropertyValues("server.port=0");

    @Test
    void requestsAreServedOnTheConfiguredNumberOfGatewayLoops() {
        for (int loops : new int[] {1, 2}) {
            runner.withPropertyValues("connection-swap.gateway.http-loops=" + loops).run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(ReactorResourceFactory.class).isUseGlobalResources()).isFalse();
                int port = context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
                Set<String> threads = new TreeSet<>();
                for (int request = 0; request < 8; request++) {
                    threads.add(threadServing(port)); // a connection each: the server hands them to its loops in turn
                }
                assertThat(threads).as("threads that served 8 connections with %d loops", loops).hasSize(loops)
                        .allSatisfy(name -> assertThat(name).startsWith(GatewayHttpLoops.THREAD_PREFIX + "-"));
            });
        }
    }

    @Test
    void theLoopsKeepSpringBootsShutdownQuietPeriodSetting() {
        runner.withPropertyValues("spring.reactor.netty.shutdown-quiet-period=250ms").run(context ->
                assertThat(ReflectionTestUtils.getField(context.getBean(ReactorResourceFactory.class),
                        "shutdownQuietPeriod")).isEqualTo(Duration.ofMillis(250)));
    }

    @Test
    void byDefaultOneLoopPerAvailableProcessor() {
        runner.run(context -> assertThat(context.getBean(GatewayProperties.class).httpLoopCount())
                .isEqualTo(Runtime.getRuntime().availableProcessors()));
    }

    @Test
    void aLoopCountOutOfRangeIsRefusedWithTheVariableNamed() {
        for (int loops : new int[] {-1, EventLoopCount.MAX + 1}) {
            assertThatThrownBy(() -> new GatewayProperties(null, DataSize.ofMegabytes(4),
                    Duration.ofSeconds(10), Duration.ofSeconds(2), 16, 65536, loops, Duration.ZERO, Duration.ZERO, Duration.ZERO, 0,
                    List.of(), null, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("CONNECTION_SWAP_GATEWAY_HTTP_LOOPS=" + loops);
        }
    }

    /** One request on a connection of its own; the body of the answer. */
    private static String threadServing(int port) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /thread HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(response).startsWith("HTTP/1.1 200");
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ThreadNameRoute {

        @Bean
        RouterFunction<ServerResponse> threadName() {
            return RouterFunctions.route(RequestPredicates.GET("/thread"),
                    request -> ServerResponse.ok().bodyValue(Thread.currentThread().getName()));
        }
    }
}
