package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.swapclient.ConnectionState;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.SwapClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
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
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebExceptionHandler;
import org.springframework.web.server.WebFilter;
import reactor.adapter.JdkFlowAdapter;
import reactor.core.publisher.Flux;

/**
 * HTTP/1.0 clients (an old client, ApacheBench, a proxy speaking 1.0 to the gateway) over a raw socket to a real Netty
 * server with the gateway's routes and filters: a stream comes unchunked, ended by the connection's close; an answer
 * of known length keeps the connection when the client asked for it with {@code Connection: keep-alive}, and closes
 * it otherwise.
 */
class Http10AnswersTest {

    private static final String JSON = "{\"model\":\"stand-in\",\"prompt\":\"x\"}";
    private static final String STREAM = "{\"model\":\"stand-in\",\"prompt\":\"x\",\"stream\":true}";

    private final ReactiveWebApplicationContextRunner runner =
            new ReactiveWebApplicationContextRunner(AnnotationConfigReactiveWebServerApplicationContext::new)
                    .withConfiguration(AutoConfigurations.of(NettyReactiveWebServerAutoConfiguration.class,
                            HttpHandlerAutoConfiguration.class, WebFluxAutoConfiguration.class))
                    .withUserConfiguration(Gateway.class)
                    .withInitializer(new ServerPortInfoApplicationContextInitializer())
                    .withPropertyValues("server.port=0");

    @Test
    void anHttp10StreamComesUnchunkedAndEndsWithTheConnectionsClose() {
        runner.run(context -> {
            for (String connection : new String[] {"", "Connection: keep-alive\r\n"}) {
                try (Socket socket = connect(context.getEnvironment())) {
                    send(socket, post(STREAM, connection));

                    String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

                    int headersEnd = answer.indexOf("\r\n\r\n");
                    assertThat(headersEnd).as(answer).isPositive();
                    String headers = answer.substring(0, headersEnd).toLowerCase(Locale.ROOT);
                    assertThat(headers).as(connection).contains("content-type: text/event-stream")
                            .contains("connection: close").doesNotContain("transfer-encoding")
                            .doesNotContain("content-length");
                    assertThat(answer.substring(headersEnd + 4)).as(connection).startsWith("data: {")
                            .contains("\" one\"", "\" two\"").endsWith("data: [DONE]\n\n");
                }
            }
        });
    }

    /**
     * An HTTP/1.0 request with {@code Connection: keep-alive} had its connection closed after every answer, even one
     * of known length: each request of a keep-alive 1.0 client (ApacheBench's {@code -k}, a 1.0 proxy that keeps its
     * connections) paid a new TCP connection. Now its JSON answer says {@code Connection: keep-alive} and the
     * connection serves the next request.
     */
    @Test
    void anHttp10KeepAliveRequestKeepsItsConnectionAfterAnAnswerOfKnownLength() {
        runner.run(context -> {
            try (Socket socket = connect(context.getEnvironment())) {
                for (int request = 1; request <= 2; request++) {
                    send(socket, post(JSON, "Connection: keep-alive\r\n"));

                    Answer answer = Answer.read(socket.getInputStream());

                    assertThat(answer.head()).as("request %d", request).isNotNull();
                    assertThat(answer.head()).as("request %d", request).contains(" 200 ")
                            .contains("connection: keep-alive").doesNotContain("transfer-encoding");
                    assertThat(answer.body()).contains("\" one two\"");
                }
                send(socket, "GET /v1/nothing HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                Answer notFound = Answer.read(socket.getInputStream());
                assertThat(notFound.head()).as("an error of known length keeps it too").contains(" 404 ")
                        .contains("connection: keep-alive");
                assertThat(notFound.body()).contains("\"code\":\"unknown_url\"");
            }
        });
    }

    @Test
    void anHttp10RequestWithoutKeepAliveHasItsConnectionClosedAfterItsAnswer() {
        runner.run(context -> {
            try (Socket socket = connect(context.getEnvironment())) {
                send(socket, post(JSON, ""));

                Answer answer = Answer.read(socket.getInputStream());

                assertThat(answer.head()).contains(" 200 ").doesNotContain("keep-alive");
                assertThat(answer.body()).contains("\" one two\"");
                assertThat(socket.getInputStream().read()).as("the connection closes").isEqualTo(-1);
            }
        });
    }

    private static String post(String body, String connection) {
        return "POST /v1/completions HTTP/1.0\r\n" + connection + "Content-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body;
    }

    private static Socket connect(org.springframework.core.env.Environment environment) throws IOException {
        Socket socket = new Socket("127.0.0.1", environment.getRequiredProperty("local.server.port", Integer.class));
        socket.setSoTimeout(10_000); // every read's deadline
        return socket;
    }

    private static void send(Socket socket, String request) throws IOException {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** One answer of known length read off a connection: its head in lower case, its body; a null head at EOF. */
    private record Answer(String head, String body) {

        static Answer read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return new Answer(null, null);
                }
                head.write(b);
            }
            String text = head.toString(StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
            int at = text.indexOf("content-length:");
            assertThat(at).as("an answer of known length: %s", text).isNotNegative();
            int length = Integer.parseInt(text.substring(at + 15, text.indexOf("\r\n", at)).strip());
            return new Answer(text, new String(in.readNBytes(length), StandardCharsets.UTF_8));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Gateway {

        @Bean
        RouterFunction<ServerResponse> gatewayRoutes() {
            SwapClient client = mock(SwapClient.class);
            when(client.connectionState()).thenReturn(new ConnectionState(true, "127.0.0.1:1", null, 0, null));
            when(client.generate(any(GenerationRequest.class), any(GenerationOptions.class))).thenAnswer(call ->
                    JdkFlowAdapter.publisherToFlowPublisher(Flux.<GenerationEvent>just(
                            new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0),
                            new GenerationEvent.Token(1, " one", "worker-a"),
                            new GenerationEvent.Token(2, " two", "worker-a"),
                            new GenerationEvent.Completed("length", new Usage(1, 2), 2, 0))));
            return GatewayOnSpringsRouter.routes(client);
        }

        @Bean
        WebExceptionHandler gatewayErrorHandler() {
            return new GatewayErrorHandler(GatewayOnSpringsRouter.PROPERTIES.maxRequestSize().toBytes());
        }

        @Bean
        WebFilter gatewayHttp10Answers() {
            return new Http10Answers();
        }

        @Bean
        GatewayHttpTimeouts gatewayHttpTimeouts() {
            return new GatewayHttpTimeouts(GatewayOnSpringsRouter.PROPERTIES, () -> { }, () -> { }, code -> { });
        }
    }
}
