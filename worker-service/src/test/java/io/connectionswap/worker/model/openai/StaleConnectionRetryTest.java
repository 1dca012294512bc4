package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A request that meets a connection closed before any answer (a stale kept-alive connection) is sent once more; a
 * second such failure, a connect failure, a timeout, or a failure after the answer's headers is not.
 */
class StaleConnectionRetryTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private RawServer server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aRequestWhoseConnectionClosesBeforeAnyAnswerIsSentOnceMore() throws Exception {
        server = new RawServer(List.of(RawServer.CLOSE, OK));

        HttpResponse<String> response = StaleConnectionRetry.send(http, post(), HttpResponse.BodyHandlers.ofString())
                .get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);

        assertThat(response.body()).isEqualTo("ok");
        assertThat(server.requests()).isEqualTo(2);
    }

    @Test
    void aSecondCloseBeforeAnyAnswerFailsTheRequest() {
        server = new RawServer(List.of(RawServer.CLOSE, RawServer.CLOSE, OK));

        assertThatThrownBy(() -> StaleConnectionRetry.send(http, post(), HttpResponse.BodyHandlers.ofString())
                .get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IOException.class);
        assertThat(server.requests()).as("sent twice, not a third time").isEqualTo(2);
    }

    @Test
    void aConnectionThatBreaksAfterTheHeadersIsNotSentAgain() {
        // the answer began: sending the request again could repeat what the upstream had sent
        server = new RawServer(List.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", OK));

        assertThatThrownBy(() -> StaleConnectionRetry.send(http, post(), HttpResponse.BodyHandlers.ofString())
                .get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IOException.class);
        assertThat(server.requests()).isEqualTo(1);
    }

    @Test
    void onlyAnIoErrorThatIsNeitherAConnectFailureNorATimeoutIsAClosedConnection() {
        assertThat(StaleConnectionRetry.isClosedConnection(new IOException("HTTP/1.1 header parser received no bytes")))
                .isTrue();
        assertThat(StaleConnectionRetry.isClosedConnection(new CompletionException(new IOException("Connection reset"))))
                .isTrue();

        assertThat(StaleConnectionRetry.isClosedConnection(new ConnectException("Connection refused"))).isFalse();
        assertThat(StaleConnectionRetry.isClosedConnection(new IOException("wrapped", new ConnectException())))
                .isFalse();
        assertThat(StaleConnectionRetry.isClosedConnection(new HttpConnectTimeoutException("connect timed out")))
                .isFalse();
        assertThat(StaleConnectionRetry.isClosedConnection(new HttpTimeoutException("request timed out"))).isFalse();
        assertThat(StaleConnectionRetry.isClosedConnection(new SSLHandshakeException("bad certificate"))).isFalse();
        assertThat(StaleConnectionRetry.isClosedConnection(new CancellationException())).isFalse();
    }

    private HttpRequest post() {
        return HttpRequest.newBuilder(server.uri()).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    }

    /** Answers the n-th request it reads (each on a connection of its own) with the n-th script: raw bytes, or a close. */
    private static final class RawServer implements AutoCloseable {

        static final String CLOSE = "";

        private final ServerSocket socket;
        private final List<String> scripts;
        private final AtomicInteger requests = new AtomicInteger();
        private final Thread thread;

        RawServer(List<String> scripts) {
            try {
                this.socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            this.scripts = scripts;
            this.thread = new Thread(this::serve, "raw-upstream");
            this.thread.setDaemon(true);
            this.thread.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/v1/completions");
        }

        int requests() {
            return requests.get();
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (Socket connection = socket.accept()) {
                    readRequest(connection.getInputStream());
                    String script = scripts.get(Math.min(requests.getAndIncrement(), scripts.size() - 1));
                    if (!script.equals(CLOSE)) {
                        connection.getOutputStream().write(script.getBytes(StandardCharsets.US_ASCII));
                        connection.getOutputStream().flush();
                    }
                } catch (IOException e) {
                    // closed: the test is over
                }
            }
        }

        /** Reads one request: its headers, then as many bytes as its Content-Length says. */
        private static void readRequest(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("request cut short");
                }
                head.write(b);
            }
            int length = 0;
            for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).strip());
                }
            }
            in.readNBytes(length);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
