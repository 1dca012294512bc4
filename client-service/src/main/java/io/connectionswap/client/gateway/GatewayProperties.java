package io.connectionswap.client.gateway;

import io.connectionswap.protocol.config.EventLoopCount;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The OpenAI-compatible gateway's settings; the environment variable feeding each is named in
 * {@code client-service.yml} and the README.
 *
 * @param apiKeys          bearer tokens accepted on {@code /v1/**} and {@code /api/**}
 *                         ({@code CONNECTION_SWAP_GATEWAY_API_KEYS}, comma-separated); empty: no authentication
 * @param maxRequestSize   largest request body ({@code CONNECTION_SWAP_MAX_REQUEST_BYTES}); larger gets 413
 * @param workerWait       how long a request waits for a healthy worker (or a director) before 503
 *                         ({@code CONNECTION_SWAP_GATEWAY_WORKER_WAIT}); 0: the 503 at once (a stream that breaks is
 *                         still resumed once: {@code GenerationOptions})
 * @param retryAfter       the {@code Retry-After} of a 503
 * @param defaultMaxTokens {@code max_tokens} of a request that does not say
 *                         ({@code CONNECTION_SWAP_GATEWAY_DEFAULT_MAX_TOKENS}; 16, OpenAI's completions default)
 * @param maxTokensLimit   largest {@code max_tokens} accepted ({@code CONNECTION_SWAP_MAX_TOKENS_LIMIT}, the
 *                         director's limit too); above it a 400 at once
 * @param httpLoops        event loops that carry the gateway's HTTP connections
 *                         ({@code CONNECTION_SWAP_GATEWAY_HTTP_LOOPS}); 0 (default): one per available processor,
 *                         where reactor-netty's own default is at least 4
 * @param idleTimeout      an HTTP connection with no request in flight (none sent, a head not yet whole, or idle after
 *                         an answer) is closed after this ({@code CONNECTION_SWAP_GATEWAY_IDLE_TIMEOUT}); 0: never.
 *                         75 s: longer than the 60 s a load balancer (AWS ALB, ingress-nginx) keeps an idle upstream
 *                         connection, so the gateway never closes one the balancer is about to reuse
 * @param requestTimeout   a request's body must have arrived within this of its head, or the connection is closed
 *                         ({@code CONNECTION_SWAP_GATEWAY_REQUEST_TIMEOUT}), also when the request was answered before
 *                         its body was read; 0: no limit. A response, however long it streams, is not limited
 * @param writeTimeout     an HTTP connection whose peer takes nothing of what the gateway writes for this long (its
 *                         socket's send buffer full the whole time) is closed, which cancels the generation it streams
 *                         ({@code CONNECTION_SWAP_GATEWAY_WRITE_TIMEOUT}); 0: never. A stream waiting for tokens is
 *                         not limited
 * @param maxConnections   HTTP connections open at once on the gateway's port, Actuator's included; one more is closed
 *                         as soon as it is accepted ({@code CONNECTION_SWAP_GATEWAY_MAX_CONNECTIONS}); 0: no limit
 * @param corsOrigins      web origins ({@code https://app.example.com}, or {@code *}) whose pages may call
 *                         {@code /v1/**} and {@code /api/**} from a browser ({@code CONNECTION_SWAP_GATEWAY_CORS_ORIGINS},
 *                         comma-separated); empty (default): no CORS, only the gateway's own page
 * @param maxBufferedRequestBytes request bytes the gateway holds at once, gateway-wide: each request reserves its body's
 *                         bytes as they arrive (a head alone holds nothing) and keeps them while its generation runs (the prompt is kept for
 *                         resumes); one that does not fit gets 503 with {@code Retry-After}
 *                         ({@code CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES}); unset: derived from the JVM's
 *                         heap ({@link #derivedBufferedRequestBytes}), never below {@code maxRequestSize}
 * @param sseKeepAlive     a streamed answer that has sent nothing for this long, after its headers, gets an SSE comment
 *                         ({@code : keep-alive}), so that a proxy's read timeout does not cut it while its generation
 *                         waits for a worker or a token ({@code CONNECTION_SWAP_GATEWAY_SSE_KEEPALIVE}); 0: none
 */
@ConfigurationProperties("connection-swap.gateway")
public record GatewayProperties(
        List<String> apiKeys,
        @DefaultValue("4MB") DataSize maxRequestSize,
        @DefaultValue("10s") Duration workerWait,
        @DefaultValue("2s") Duration retryAfter,
        @DefaultValue("16") int defaultMaxTokens,
        @DefaultValue("65536") int maxTokensLimit,
        @DefaultValue("0") int httpLoops,
        @DefaultValue("75s") Duration idleTimeout,
        @DefaultValue("60s") Duration requestTimeout,
        @DefaultValue("30s") Duration writeTimeout,
        @DefaultValue("10000") int maxConnections,
        List<String> corsOrigins,
        DataSize maxBufferedRequestBytes,
        @DefaultValue("15s") Duration sseKeepAlive) {

    public GatewayProperties {
        List<String> keys = apiKeys == null ? List.of()
                : apiKeys.stream().map(String::trim).filter(key -> !key.isEmpty()).toList();
        if (keys.isEmpty() && apiKeys != null && apiKeys.size() > 1) {
            // separators and nothing between them (KEY_A and KEY_B of "${KEY_A},${KEY_B}" both missing): keys were
            // meant, and taking none would turn authentication off without a word
            throw new IllegalArgumentException("CONNECTION_SWAP_GATEWAY_API_KEYS holds " + apiKeys.size()
                    + " entries and every one is blank (expected: comma-separated keys, or unset/empty for no "
                    + "authentication)");
        }
        apiKeys = keys;
        if (maxRequestSize.toBytes() <= 0 || maxRequestSize.toBytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("CONNECTION_SWAP_MAX_REQUEST_BYTES=" + maxRequestSize.toBytes()
                    + " (expected: 1 to " + Integer.MAX_VALUE + ")");
        }
        if (workerWait.isNegative()) {
            throw new IllegalArgumentException("CONNECTION_SWAP_GATEWAY_WORKER_WAIT=" + workerWait + " (expected: >= 0)");
        }
        if (defaultMaxTokens < 1 || maxTokensLimit < defaultMaxTokens) {
            throw new IllegalArgumentException("CONNECTION_SWAP_GATEWAY_DEFAULT_MAX_TOKENS=" + defaultMaxTokens
                    + " and CONNECTION_SWAP_MAX_TOKENS_LIMIT=" + maxTokensLimit + " (expected: 1 <= default <= limit)");
        }
        EventLoopCount.check("CONNECTION_SWAP_GATEWAY_HTTP_LOOPS", httpLoops);
        requireTimeout("CONNECTION_SWAP_GATEWAY_IDLE_TIMEOUT", idleTimeout);
        requireTimeout("CONNECTION_SWAP_GATEWAY_REQUEST_TIMEOUT", requestTimeout);
        requireTimeout("CONNECTION_SWAP_GATEWAY_WRITE_TIMEOUT", writeTimeout);
        requireTimeout("CONNECTION_SWAP_GATEWAY_SSE_KEEPALIVE", sseKeepAlive);
        corsOrigins = corsOrigins == null ? List.of()
                : corsOrigins.stream().map(String::trim).filter(origin -> !origin.isEmpty()).toList();
        for (String origin : corsOrigins) {
            if (!WEB_ORIGIN.matcher(origin).matches()) {
                throw new IllegalArgumentException("CONNECTION_SWAP_GATEWAY_CORS_ORIGINS has '" + origin
                        + "' (expected: * or an origin such as https://app.example.com or http://localhost:3000, "
                        + "without a path)");
            }
        }
        if (maxBufferedRequestBytes == null) {
            maxBufferedRequestBytes = DataSize.ofBytes(derivedBufferedRequestBytes(maxRequestSize.toBytes(),
                    Runtime.getRuntime().maxMemory()));
        } else if (maxBufferedRequestBytes.toBytes() < maxRequestSize.toBytes()) {
            throw new IllegalArgumentException("CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES="
                    + maxBufferedRequestBytes.toBytes() + " (expected: at least CONNECTION_SWAP_MAX_REQUEST_BYTES="
                    + maxRequestSize.toBytes() + ", or unset for a quarter of the JVM's heap)");
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("CONNECTION_SWAP_GATEWAY_MAX_CONNECTIONS=" + maxConnections
                    + " (expected: >= 0; 0 for no limit)");
        }
    }

    /** {@code *}, or a scheme, a host and an optional port: what a browser sends as {@code Origin}. */
    private static final Pattern WEB_ORIGIN = Pattern.compile(
            "\\*|https?://(\\[[0-9a-fA-F:.]+]|[^/\\s:\\[\\]]+)(:\\d{1,5})?");

    /**
     * The default of {@code maxBufferedRequestBytes}: a quarter of the heap ({@code maxHeapBytes}), never below one
     * request of {@code maxRequestBytes}. Bodies are read into the heap and prompts live there, at up to two bytes a
     * character (a String with one character beyond Latin-1), so at most about half the heap goes to them; the image's
     * 179 MiB heap gives 44 MiB: 1 000 streams of 16 KiB prompts with room for a hundred of 200 KiB.
     */
    static long derivedBufferedRequestBytes(long maxRequestBytes, long maxHeapBytes) {
        return Math.max(maxRequestBytes, maxHeapBytes / 4);
    }

    /** HTTP event loops to run: {@code httpLoops}, or the available processors when it is 0. */
    public int httpLoopCount() {
        return EventLoopCount.resolve(httpLoops);
    }

    public boolean authenticationEnabled() {
        return !apiKeys.isEmpty();
    }

    /** A timeout of the gateway's HTTP connections: 0 turns it off, below 0 is refused with the variable named. */
    private static void requireTimeout(String variable, Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException(variable + "=" + timeout + " (expected: >= 0; 0 for none)");
        }
    }
}
