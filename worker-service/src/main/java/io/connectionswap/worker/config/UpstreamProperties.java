package io.connectionswap.worker.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the OpenAI-compatible upstream ({@code CONNECTION_SWAP_MODEL_BACKEND=openai}); read only by that
 * backend, which checks them at start-up ({@link io.connectionswap.worker.model.openai.UpstreamSettings}).
 *
 * @param url               base URL ending in {@code /v1} ({@code CONNECTION_SWAP_UPSTREAM_URL}, required)
 * @param model             model name sent upstream and registered with the director
 *                          ({@code CONNECTION_SWAP_UPSTREAM_MODEL}, required)
 * @param apiKey            bearer token ({@code CONNECTION_SWAP_UPSTREAM_API_KEY}, optional)
 * @param connectTimeout    TCP connect timeout ({@code CONNECTION_SWAP_UPSTREAM_CONNECT_TIMEOUT})
 * @param firstTokenTimeout longest wait from sending a request to its first token
 *                          ({@code CONNECTION_SWAP_UPSTREAM_FIRST_TOKEN_TIMEOUT})
 * @param tokenTimeout      longest silence between two chunks while the worker waits for one
 *                          ({@code CONNECTION_SWAP_UPSTREAM_TOKEN_TIMEOUT})
 * @param healthInterval    how often {@code GET {url}/models} is checked ({@code CONNECTION_SWAP_UPSTREAM_HEALTH_INTERVAL})
 * @param includeUsage      ask for {@code stream_options.include_usage} ({@code CONNECTION_SWAP_UPSTREAM_INCLUDE_USAGE})
 * @param threads           threads of the HTTP client's executor (shared by every stream)
 * @param chatTemplate      how chat messages are rendered to the prompt sent upstream: {@code role-tags},
 *                          {@code chatml} or {@code llama3} ({@code CONNECTION_SWAP_UPSTREAM_CHAT_TEMPLATE})
 */
@ConfigurationProperties("connection-swap.upstream")
public record UpstreamProperties(
        String url,
        String model,
        String apiKey,
        @DefaultValue("5s") Duration connectTimeout,
        @DefaultValue("60s") Duration firstTokenTimeout,
        @DefaultValue("30s") Duration tokenTimeout,
        @DefaultValue("2s") Duration healthInterval,
        @DefaultValue("true") boolean includeUsage,
        @DefaultValue("2") int threads,
        @DefaultValue("role-tags") String chatTemplate) {
}
