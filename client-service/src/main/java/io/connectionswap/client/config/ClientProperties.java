package io.connectionswap.client.config;

import io.connectionswap.protocol.quic.HostPort;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Client settings; the environment variable feeding each is named in {@code application.yml} and the README.
 *
 * @param directorTarget     the director's QUIC address ({@code CONNECTION_SWAP_DIRECTOR_TARGET}); several
 *                           comma-separated addresses are tried in turn when a director is lost
 * @param directorTlsName    name the director's certificate must carry; blank: the host dialled
 * @param maxTokens          tokens per generation ({@code CONNECTION_SWAP_MAX_TOKENS})
 * @param promptPrefix       prompts are {@code <prefix>-<n>}
 * @param generations        generations to run before stopping; 0 runs until the process ends
 * @param concurrency        generations in flight at once, each on its own stream of the one connection
 * @param retryBackoff       first pause when no worker is healthy; doubles up to {@code retryBackoffMax}
 * @param retryBackoffMax    longest pause between two attempts (no worker, or no director)
 * @param heartbeatInterval  application heartbeat to the director
 * @param heartbeatTimeout   the director is gone after this long without an echo: reconnect and resume
 */
@ConfigurationProperties("connection-swap.client")
public record ClientProperties(
        @DefaultValue("127.0.0.1:61000") String directorTarget,
        String directorTlsName,
        @DefaultValue("30") int maxTokens,
        @DefaultValue("prompt") String promptPrefix,
        @DefaultValue("0") long generations,
        @DefaultValue("1") int concurrency,
        @DefaultValue("100ms") Duration retryBackoff,
        @DefaultValue("5s") Duration retryBackoffMax,
        @DefaultValue("1s") Duration heartbeatInterval,
        @DefaultValue("3500ms") Duration heartbeatTimeout) {

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

    public java.util.List<HostPort> directors() {
        java.util.List<HostPort> targets = java.util.Arrays.stream(directorTarget.split(","))
                .map(String::trim)
                .filter(target -> !target.isEmpty())
                .map(target -> HostPort.parse("CONNECTION_SWAP_DIRECTOR_TARGET", target))
                .toList();
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("CONNECTION_SWAP_DIRECTOR_TARGET is empty (expected host:port)");
        }
        return targets;
    }

    /** The name the certificate of {@code director} must carry. */
    public String tlsName(HostPort director) {
        return directorTlsName == null || directorTlsName.isBlank() ? director.host() : directorTlsName;
    }
}
