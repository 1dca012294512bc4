package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.model.ChatTemplate;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.HeadlessChromium;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.testsupport.process.ServiceProcess;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * A web app on another origin calls the gateway from a real browser (headless Chromium), as a chat front end would:
 * with {@code CONNECTION_SWAP_GATEWAY_CORS_ORIGINS} naming the app's origin and an API key set, the browser's
 * preflight passes, a streamed chat completion is read chunk by chunk with {@code fetch} (and its
 * {@code X-Request-Id}), and an error (401) is readable by the page; a page of an origin not listed is blocked by the
 * browser, and the gateway logs why.
 */
@ExtendWith(DumpLogsOnFailure.class)
class CrossOriginBrowserIT {

    private static final String KEY = "browser-key";
    /** Streams a chat completion with fetch and returns its status, the text of its chunks and whether [DONE] came. */
    private static final String STREAM_SCRIPT = """
            const [url, key, prompt, done] = arguments;
            const headers = {'Content-Type': 'application/json'};
            if (key) headers['Authorization'] = 'Bearer ' + key;
            fetch(url, {method: 'POST', headers, body: JSON.stringify({model: 'stand-in', stream: true,
                    max_tokens: 12, messages: [{role: 'user', content: prompt}]})})
              .then(async response => {
                if (!response.ok) {
                  const error = await response.json();
                  return done({status: response.status, code: error.error.code});
                }
                const reader = response.body.getReader();
                const decoder = new TextDecoder();
                let buffered = '', text = '', chunks = 0, finished = false;
                for (;;) {
                  const {value, done: ended} = await reader.read();
                  if (ended) break;
                  buffered += decoder.decode(value, {stream: true});
                  let end;
                  while ((end = buffered.indexOf('\\n\\n')) >= 0) {
                    const event = buffered.slice(0, end).replace(/^data: /, '');
                    buffered = buffered.slice(end + 2);
                    if (event === '[DONE]') { finished = true; continue; }
                    const delta = JSON.parse(event).choices[0]?.delta?.content;
                    if (delta) { text += delta; chunks++; }
                  }
                }
                done({status: response.status, text, chunks, finished,
                      requestId: response.headers.get('X-Request-Id')});
              })
              .catch(failure => done({failed: String(failure)}));
            """;

    @AutoClose
    private ProcessCluster cluster;
    private ChromeDriver browser;
    private HttpServer pages;

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (pages != null) {
            pages.stop(0);
        }
    }

    @Test
    void aPageOfAnAllowedOriginStreamsFromTheGatewayAndAnotherIsBlocked() throws Exception {
        HeadlessChromium.requireInstalled(CrossOriginBrowserIT.class);
        pages = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        pages.createContext("/", exchange -> {
            byte[] page = "<!doctype html><title>chat app</title><p>another origin</p>".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            exchange.getResponseBody().write(page);
            exchange.close();
        });
        pages.start();
        int pagePort = pages.getAddress().getPort();
        String app = "http://127.0.0.1:" + pagePort;

        cluster = new ProcessCluster("CrossOriginBrowserIT", "50ms");
        cluster.startDirector();
        cluster.startWorker("worker-a");
        cluster.awaitHealthyWorkers(1);
        ServiceProcess gateway = cluster.startGateway("CONNECTION_SWAP_GATEWAY_API_KEYS=" + KEY,
                "CONNECTION_SWAP_GATEWAY_CORS_ORIGINS=" + app);
        String completions = "http://127.0.0.1:" + gateway.httpPort() + "/v1/chat/completions";

        browser = HeadlessChromium.start(CrossOriginBrowserIT.class);
        browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
        browser.get(app + "/");
        String prompt = "Hello from another origin";
        Map<String, Object> streamed = stream(completions, KEY, prompt);
        assertThat(streamed.get("status")).as("%s", streamed).isEqualTo(200L);
        assertThat(streamed.get("text")).isEqualTo(new DeterministicTokenModel().text(
                ChatTemplate.render(List.of(new ChatMessage("user", prompt))), 1, 12));
        assertThat((Long) streamed.get("chunks")).isGreaterThanOrEqualTo(12);
        assertThat(streamed.get("finished")).as("data: [DONE] read").isEqualTo(true);
        assertThat((String) streamed.get("requestId")).as("X-Request-Id, exposed to the page").isNotBlank();

        Map<String, Object> withoutKey = stream(completions, null, prompt);
        assertThat(withoutKey).as("the page reads the gateway's error").containsEntry("status", 401L)
                .containsEntry("code", "invalid_api_key");

        browser.get("http://localhost:" + pagePort + "/"); // the same page under another origin, not listed
        Map<String, Object> blocked = stream(completions, KEY, prompt);
        assertThat(blocked).as("the browser blocks a page of an origin not listed").containsKey("failed");
        assertThat(gateway.awaitLogLines("code=origin_not_allowed", 1).get(0))
                .contains("status=403").contains("http://localhost:" + pagePort);
        assertThat(gateway.logLines("gateway cors origins")).singleElement().asString().contains(app);
    }

    private Map<String, Object> stream(String url, String key, String prompt) {
        Object result = browser.executeAsyncScript(STREAM_SCRIPT, url, key, prompt);
        assertThat(result).as("the script's answer").isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> answer = (Map<String, Object>) result;
        return answer;
    }
}
