package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.model.ChatFormat;
import io.connectionswap.worker.config.UpstreamProperties;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;

/**
 * The checked settings of an OpenAI-compatible upstream. Every problem names the environment variable to fix, so a
 * worker started with a missing or malformed setting stops at once with a message that says what to do.
 *
 * @param baseUri           {@code http(s)://host:port/v1}, without a trailing slash
 * @param model             the model name sent in every request and registered with the director
 * @param apiKey            bearer token, or null
 * @param connectTimeout    TCP connect timeout
 * @param firstTokenTimeout from sending a request to its first token
 * @param tokenTimeout      longest silence between two chunks while a chunk is wanted
 * @param healthInterval    time between two checks of {@code GET {baseUri}/models}
 * @param includeUsage      ask for {@code stream_options.include_usage}
 * @param threads           executor threads of the HTTP client
 */
public record UpstreamSettings(URI baseUri, String model, String apiKey, Duration connectTimeout,
                               Duration firstTokenTimeout, Duration tokenTimeout, Duration healthInterval,
                               boolean includeUsage, int threads, ChatFormat chatFormat) {

    public UpstreamSettings {
        if (baseUri == null || model == null || model.isBlank()) {
            throw new IllegalArgumentException("baseUri and model are required");
        }
        positive("CONNECTION_SWAP_UPSTREAM_CONNECT_TIMEOUT", connectTimeout);
        positive("CONNECTION_SWAP_UPSTREAM_FIRST_TOKEN_TIMEOUT", firstTokenTimeout);
        positive("CONNECTION_SWAP_UPSTREAM_TOKEN_TIMEOUT", tokenTimeout);
        positive("CONNECTION_SWAP_UPSTREAM_HEALTH_INTERVAL", healthInterval);
        if (threads <= 0) {
            throw new IllegalArgumentException("connection-swap.upstream.threads: " + threads + " (expected: > 0)");
        }
        apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.trim();
        chatFormat = chatFormat == null ? ChatFormat.ROLE_TAGS : chatFormat;
    }

    /** Checks {@code properties}; throws with the name of the setting when one is missing or malformed. */
    public static UpstreamSettings from(UpstreamProperties properties) {
        String url = properties.url();
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("CONNECTION_SWAP_UPSTREAM_URL is not set; CONNECTION_SWAP_MODEL_BACKEND=openai "
                    + "needs the base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1");
        }
        String model = properties.model();
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("CONNECTION_SWAP_UPSTREAM_MODEL is not set; CONNECTION_SWAP_MODEL_BACKEND=openai "
                    + "needs the model name the upstream serves (as its GET /v1/models lists it)");
        }
        model = model.trim();
        if (!GenerationRequest.validModelName(model)) {
            // every director would refuse the registration, the worker running healthy and idle for good
            throw new IllegalArgumentException("CONNECTION_SWAP_UPSTREAM_MODEL='" + LogLine.printable(model, 64)
                    + "' (expected: " + GenerationRequest.MODEL_NAME_RULE + ")");
        }
        return new UpstreamSettings(parseBase(url.trim()), model, properties.apiKey(),
                properties.connectTimeout(), properties.firstTokenTimeout(), properties.tokenTimeout(),
                properties.healthInterval(), properties.includeUsage(), properties.threads(),
                ChatFormat.of("CONNECTION_SWAP_UPSTREAM_CHAT_TEMPLATE", properties.chatTemplate()));
    }

    static URI parseBase(String url) {
        String shown = url.replaceFirst("//[^/?#]*@", "//***@"); // what a message may repeat: no credentials
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("CONNECTION_SWAP_UPSTREAM_URL=" + shown + " is not a URL: "
                    + e.getReason() + " (expected e.g. http://127.0.0.1:8000/v1)");
        }
        if (uri.getRawUserInfo() != null) {
            // the JDK client sends no credentials from a URL, and the URL is logged (upstream.url): refused
            throw new IllegalArgumentException("CONNECTION_SWAP_UPSTREAM_URL=" + shown + " has credentials in it; "
                    + "they would not be sent, and the URL is logged: set the upstream's key in "
                    + "CONNECTION_SWAP_UPSTREAM_API_KEY (sent as Authorization: Bearer) and leave them out of the URL");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException("CONNECTION_SWAP_UPSTREAM_URL=" + shown
                    + " (expected: an http:// or https:// URL with a host, e.g. http://127.0.0.1:8000/v1)");
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("CONNECTION_SWAP_UPSTREAM_URL=" + shown
                    + " (expected: a base URL without query or fragment, e.g. http://127.0.0.1:8000/v1)");
        }
        String text = uri.toString();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        return URI.create(text);
    }

    private static void positive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + "=" + value + " (expected: > 0)");
        }
    }

    public URI completionsUri() {
        return URI.create(baseUri + "/completions");
    }

    public URI modelsUri() {
        return URI.create(baseUri + "/models");
    }

    /** vLLM's and SGLang's tokenizer, at the server's root: the base URL without its {@code /v1}. */
    public URI tokenizeUri() {
        String base = baseUri.toString();
        return URI.create((base.endsWith("/v1") ? base.substring(0, base.length() - 3) : base) + "/tokenize");
    }
}
