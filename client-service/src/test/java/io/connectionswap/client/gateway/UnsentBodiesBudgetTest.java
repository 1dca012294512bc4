package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.springframework.context.annotation.Import;
import org.springframework.web.server.WebFilter;

/**
 * The budget of request bytes (CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES) is meant to bound the bytes the
 * gateway holds; a request whose head declares a Content-Length holds its whole size from its head on, before any
 * byte of its body has come. A handful of request heads (4 in the fixture's 16 MiB, 11 in the image's 44 MiB: a few
 * hundred bytes sent) then make every other request a 503 gateway_busy for as long as the request timeout (60 s)
 * lets them wait, and again after; the gateway before the budget held nothing for a body not sent.
 */
class UnsentBodiesBudgetTest {

    private static final int MAX_REQUEST_BYTES = (int) GatewayOnSpringsRouter.PROPERTIES.maxRequestSize().toBytes();
    private static final int HEADS = (int) (GatewayOnSpringsRouter.PROPERTIES.maxBufferedRequestBytes().toBytes()
            / MAX_REQUEST_BYTES);
    private static final AtomicInteger POSTS_SEEN = new AtomicInteger();

    private final ReactiveWebApplicationContextRunner runner =
            new ReactiveWebApplicationContextRunner(AnnotationConfigReactiveWebServerApplicationContext::new)
                    .withConfiguration(AutoConfigurations.of(NettyReactiveWebServerAutoConfiguration.class,
                            HttpHandlerAutoConfiguration.class, WebFluxAutoConfiguration.class))
                    .withUserConfiguration(CountedGateway.class)
                    .withInitializer(new ServerPortInfoApplicationContextInitializer())
                    .withPropertyValues("server.port=0");

    @Test
    void requestHeadsWhoseBodiesWereNotSentDoNotMakeEveryOtherRequestBusy() {
        runner.run(context -> {
            int port = context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
            List<Socket> heads = new ArrayList<>();
            try {
                for (int i = 0; i < HEADS; i++) {
                    Socket socket = new Socket("127.0.0.1", port);
                    heads.add(socket);
                    socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: gateway\r\n"
                            + "Content-Type: application/json\r\nContent-Length: " + MAX_REQUEST_BYTES + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII)); // the head only: no byte of the body
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> POSTS_SEEN.get() >= HEADS);

                String body = "{\"model\":\"stand-in\",\"prompt\":\"x\"}";
                String answer;
                try (Socket small = new Socket("127.0.0.1", port)) {
                    small.setSoTimeout(10_000);
                    small.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: gateway\r\n"
                            + "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " + body.length()
                            + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                    answer = readAll(small.getInputStream());
                }

                assertThat(answer.lines().findFirst().orElse("")).as("status of a %d-byte request while %d request "
                                + "heads declaring %d bytes each have sent no byte of their bodies; answer: %s",
                                body.length(), HEADS, MAX_REQUEST_BYTES, answer.replace("\r\n", " | "))
                        .isEqualTo("HTTP/1.1 200 OK");
            } finally {
                for (Socket socket : heads) {
                    socket.close();
                }
            }
        });
    }

    private static String readAll(InputStream in) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** {@link Http10AnswersTest.Gateway} (the routes over a mock client, 16 MiB of budget), counting the POSTs seen. */
    @Configuration(proxyBeanMethods = false)
    @Import(Http10AnswersTest.Gateway.class)
    static class CountedGateway {

        @Bean
        WebFilter countPosts() {
            return (exchange, chain) -> {
                if ("POST".equals(exchange.getRequest().getMethod().name())) {
                    POSTS_SEEN.incrementAndGet();
                }
                return chain.filter(exchange);
            };
        }
    }
}
