package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.SwapClient;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.netty.DisposableServer;

/**
 * A generation that fails after its first token (stream: an SSE error event after 200; collected: a 502 JSON) ends
 * its HTTP answer properly, so the client's keep-alive connection serves its next request.
 */
class KeepAliveAfterFailureTest {

    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?i)content-length: (\\d+)");

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void theConnectionServesTheNextRequestAfterAFailedGeneration(boolean stream) throws Exception {
        SwapClient client = GatewayOnSpringsRouter.connectedClient(Flux.<GenerationEvent>just(
                        new GenerationEvent.Assigned("worker-a", "c-1", 4, "stand-in", 0),
                        new GenerationEvent.Token(1, " t1", "worker-a"))
                .concatWith(Flux.error(new GenerationException(ErrorCode.MIGRATION_LIMIT, "moved 3 times",
                        1))));
        DisposableServer server = GatewayOnSpringsRouter.serve(client);
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            String body = "{\"model\":\"stand-in\",\"prompt\":\"x\",\"stream\":" + stream + "}";
            String request = "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body;
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            String end = stream ? "data: {\"error\"" : "\"code\":\"migration_limit\"}}";
            for (int i = 0; i < 2; i++) {
                out.write(request.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String answer = readAnswer(in, stream);
                assertThat(answer).as("answer %d on the same connection", i + 1)
                        .startsWith(stream ? "HTTP/1.1 200" : "HTTP/1.1 502").contains(end)
                        .doesNotContainIgnoringCase("connection: close");
            }
        } finally {
            server.disposeNow();
        }
    }

    /** One answer: up to the last chunk of a chunked body, or its Content-Length. */
    private static String readAnswer(InputStream in, boolean chunked) throws Exception {
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            assertThat(b).as("the connection closed after: %s", read).isNotNegative();
            read.write(b);
            String text = read.toString(StandardCharsets.US_ASCII);
            if (chunked && text.endsWith("\r\n0\r\n\r\n")) {
                return text;
            }
            int headEnd = text.indexOf("\r\n\r\n");
            if (!chunked && headEnd > 0) {
                Matcher length = CONTENT_LENGTH.matcher(text);
                if (length.find() && text.length() - headEnd - 4 == Integer.parseInt(length.group(1))) {
                    return text;
                }
            }
        }
    }
}
