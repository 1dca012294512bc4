package io.connectionswap.testsupport.net;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Plain HTTP GETs to a process on 127.0.0.1 (an Actuator, a test server's admin endpoint), for polling: a process that
 * is not listening yet, answers another status or takes longer than 5 s is "no answer", never an exception.
 */
public final class LoopbackHttp {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private LoopbackHttp() {
    }

    /**
     * The body of {@code GET http://127.0.0.1:<port><path>} when it answers 200 within 5 s, else null.
     *
     * @param path starts with {@code /}, e.g. {@code /actuator/health/readiness}
     */
    public static String getOk(int port, String path) {
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path: " + path + " (expected: starts with /)");
        }
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
