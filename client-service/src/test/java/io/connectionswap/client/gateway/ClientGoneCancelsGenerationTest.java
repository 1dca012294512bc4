package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.SwapClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.netty.DisposableServer;

/**
 * An HTTP client that closes its connection before its answer is complete (curl killed, a tab closed) must cancel
 * its generation, so the director resets the stream and the worker stops: with {@code stream: true} (the answer
 * under way) and with {@code stream: false} (nothing written yet, the gateway collecting the tokens).
 */
class ClientGoneCancelsGenerationTest {

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aClientThatClosesItsConnectionCancelsItsGeneration(boolean stream) throws Exception {
        AtomicBoolean cancelled = new AtomicBoolean();
        CountDownLatch firstToken = new CountDownLatch(1);
        SwapClient client = GatewayOnSpringsRouter.connectedClient(Flux.<GenerationEvent>just(
                        new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0),
                        new GenerationEvent.Token(1, " t1", "worker-a"))
                .doOnNext(event -> firstToken.countDown())
                .concatWith(Flux.never()) // a long generation: the rest of its tokens still to come
                .doOnCancel(() -> cancelled.set(true)));
        DisposableServer server = GatewayOnSpringsRouter.serve(client);
        try {
            String body = "{\"model\":\"stand-in\",\"prompt\":\"x\",\"max_tokens\":2000,\"stream\":" + stream + "}";
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(10_000); // an answer that never starts fails the test instead of hanging the build
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                if (stream) {
                    InputStream in = socket.getInputStream();
                    byte[] head = new byte[16];
                    int read = in.readNBytes(head, 0, head.length);
                    assertThat(new String(head, 0, read, StandardCharsets.US_ASCII)).as("the answer under way")
                            .startsWith("HTTP/1.1 200");
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> firstToken.getCount() == 0);
            } // the client goes away
            await("the generation cancelled after the client closed its connection (stream=" + stream + ")")
                    .atMost(Duration.ofSeconds(10)).untilTrue(cancelled);
        } finally {
            server.disposeNow();
        }
    }
}
