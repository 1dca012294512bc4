package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.reactor.netty.autoconfigure.NettyReactiveWebServerAutoConfiguration;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.ServerPortInfoApplicationContextInitializer;
import org.springframework.boot.web.server.reactive.context.AnnotationConfigReactiveWebServerApplicationContext;
import org.springframework.boot.webflux.autoconfigure.HttpHandlerAutoConfiguration;
import org.springframework.boot.webflux.autoconfigure.WebFluxAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * {@code CONNECTION_SWAP_GATEWAY_MAX_CONNECTIONS} on a real Netty server: with 3 keep-alive connections open, a
 * fourth is closed unanswered and counted; once one of the 3 closes, a new connection is served again. One WARN line
 * when the limit is reached, one INFO line with the number refused when it is not any more.
 */
@ExtendWith(OutputCaptureExtension.class)
class GatewayConnectionLimitTest {

    private static final int MAX = 3;
    private static final AtomicInteger REFUSED = new AtomicInteger();

    private final ReactiveWebApplicationContextRunner runner =
            new ReactiveWebApplicationContextRunner(AnnotationConfigReactiveWebServerApplicationContext::new)
                    .withConfiguration(AutoConfigurations.of(NettyReactiveWebServerAutoConfiguration.class,
                            HttpHandlerAutoConfiguration.class, WebFluxAutoConfiguration.class))
                    .withUserConfiguration(LimitAndPing.class)
                    .withInitializer(new ServerPortInfoApplicationContextInitializer())
                    .withPropertyValues("server.port=0");

    @Test
    void aConnectionOverTheLimitIsClosedUnansweredUntilOneIsFree(CapturedOutput output) {
        runner.run(context -> {
            int port = context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
            GatewayConnectionLimit limit = context.getBean(GatewayConnectionLimit.class);
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < MAX; i++) {
                    Socket socket = connect(port);
                    held.add(socket);
                    assertThat(ping(socket)).as("connection %d of %d", i + 1, MAX).startsWith("HTTP/1.1 200");
                }
                assertThat(limit.open()).isEqualTo(MAX);

                try (Socket over = connect(port)) {
                    assertThat(ping(over)).as("the connection over the limit").isNull();
                }
                assertThat(REFUSED.get()).isEqualTo(1);
                awaitOutput(output, "max.connections=3", "gateway http connections at their limit");

                held.remove(0).close();
                await("a connection is free").atMost(Duration.ofSeconds(10)).until(() -> limit.open() == MAX - 1);
                try (Socket again = connect(port)) {
                    assertThat(ping(again)).as("a new connection once one is free").startsWith("HTTP/1.1 200");
                }
                awaitOutput(output, "refused=1 gateway http connections below their limit again");
            } finally {
                for (Socket socket : held) {
                    socket.close();
                }
            }
        });
    }

    /** Logging may be asynchronous: the texts appear in the output within a deadline. */
    private static void awaitOutput(CapturedOutput output, String... texts) {
        await("log output " + List.of(texts)).atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(output.getOut()).contains(texts));
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Sends a GET on a keep-alive connection; its status line, or null when the server closed the connection. */
    private static String ping(Socket socket) throws IOException {
        try {
            socket.getOutputStream().write("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
        } catch (SocketException closed) {
            return null;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class LimitAndPing {

        @Bean
        GatewayConnectionLimit gatewayConnectionLimit() {
            return new GatewayConnectionLimit(MAX, REFUSED::incrementAndGet);
        }

        @Bean
        RouterFunction<ServerResponse> ping() {
            return RouterFunctions.route(RequestPredicates.GET("/ping"),
                    request -> ServerResponse.ok().bodyValue("pong"));
        }
    }
}
