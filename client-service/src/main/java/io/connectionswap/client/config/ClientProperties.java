package io.connectionswap.client.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The demo loop's settings; the connection's own ({@code director-target}, backoff, heartbeats) are the library's
 * {@code SwapClientProperties} under the same prefix. The environment variable feeding each is named in
 * {@code client-service.yml} and the README.
 *
 * @param demo         run the self-driving generation loop ({@code CONNECTION_SWAP_CLIENT_DEMO}); false leaves the
 *                     gateway alone
 * @param maxTokens    tokens per generation ({@code CONNECTION_SWAP_MAX_TOKENS})
 * @param promptPrefix prompts are {@code <prefix>-<n>}
 * @param generations  generations to run before stopping; 0 runs until the process ends
 * @param concurrency  generations in flight at once, each on its own stream of the one connection
 */
@ConfigurationProperties("connection-swap.client")
public record ClientProperties(
        @DefaultValue("true") boolean demo,
        @DefaultValue("30") int maxTokens,
        @DefaultValue("prompt") String promptPrefix,
        @DefaultValue("0") long generations,
        @DefaultValue("1") int concurrency) {

    public ClientProperties {
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("CONNECTION_SWAP_MAX_TOKENS=" + maxTokens + " (expected: > 0)");
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("CONNECTION_SWAP_CLIENT_CONCURRENCY=" + concurrency + " (expected: >= 1)");
        }
        if (generations < 0) {
            throw new IllegalArgumentException("connection-swap.client.generations: " + generations + " (expected: >= 0)");
        }
    }
}
