package io.connectionswap.testsupport.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LoopbackHttpTest {

    private HttpServer server;

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/up", exchange -> {
            byte[] body = "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/down", exchange -> {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void theBodyOfA200AndNullForAnythingElse() {
        int port = server.getAddress().getPort();

        assertThat(LoopbackHttp.getOk(port, "/up")).isEqualTo("{\"status\":\"UP\"}");
        assertThat(LoopbackHttp.getOk(port, "/down")).isNull();
        assertThat(LoopbackHttp.getOk(port, "/missing")).isNull();
    }

    @Test
    void nothingListeningIsNoAnswer() {
        assertThat(LoopbackHttp.getOk(Ports.freeTcpPort(), "/up")).isNull();
    }

    @Test
    void argumentsAreChecked() {
        assertThatThrownBy(() -> LoopbackHttp.getOk(0, "/up")).hasMessageContaining("port: 0");
        assertThatThrownBy(() -> LoopbackHttp.getOk(8080, "up")).hasMessageContaining("path: up");
    }
}
