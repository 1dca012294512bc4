package io.connectionswap.systemtest.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import com.sun.net.httpserver.HttpServer;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The live page's own files ({@code client-service/src/main/resources/static}, served as they are) in headless
 * Chromium, with {@code fetch} answered by {@code live-page-stream-stub.js}: the test feeds the chat stream itself
 * ({@code window.liveStream}), chunk by chunk, with no gateway behind it. For what the page does with a stream the
 * test shapes (long answers, swaps at chosen tokens); the page against the real jars is {@code LivePageBrowserIT}.
 */
public final class StubbedLivePage implements AutoCloseable {

    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8");

    private final HttpServer files;
    private final ChromeDriver browser;

    private StubbedLivePage(HttpServer files, ChromeDriver browser) {
        this.files = files;
        this.browser = browser;
    }

    /** Serves the page, starts the browser with the stub installed and opens the page. */
    public static StubbedLivePage open(Class<?> test) throws Exception {
        HeadlessChromium.requireInstalled(test);
        Path statics = ProcessCluster.repositoryRoot().resolve("client-service/src/main/resources/static");
        HttpServer files = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        files.createContext("/", exchange -> {
            String name = exchange.getRequestURI().getPath().equals("/") ? "index.html"
                    : exchange.getRequestURI().getPath().substring(1);
            Path file = statics.resolve(name).normalize();
            if (!file.startsWith(statics) || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            byte[] body = Files.readAllBytes(file);
            exchange.getResponseHeaders().set("Content-Type",
                    TYPES.getOrDefault(name.substring(name.lastIndexOf('.') + 1), "application/octet-stream"));
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        files.start();
        ChromeDriver browser = HeadlessChromium.start(test);
        try {
            browser.manage().timeouts().scriptTimeout(Duration.ofMinutes(10));
            browser.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", stubScript()));
            browser.get("http://127.0.0.1:" + files.getAddress().getPort() + "/");
        } catch (RuntimeException e) {
            browser.quit();
            files.stop(0);
            throw e;
        }
        return new StubbedLivePage(files, browser);
    }

    public ChromeDriver browser() {
        return browser;
    }

    private static String stubScript() {
        try (InputStream in = StubbedLivePage.class.getResourceAsStream("/live-page-stream-stub.js")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        browser.quit();
        files.stop(0);
    }
}
