package io.connectionswap.swapclient.spring;

import io.connectionswap.protocol.quic.HostPort;
import java.time.Duration;
import org.slf4j.event.Level;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code connection-swap.client.*} properties of the auto-configured {@code SwapClient}.
 *
 * @param directorTarget    comma-separated {@code host:port} of the director(s), tried in turn when one is lost
 * @param directorTlsName   name the director's certificate must carry; blank: the host dialled
 * @param certsDir          directory with {@code ca.pem}, {@code client.pem} and {@code client.key}; blank: the
 *                          repository's {@code certs/}, found from the working directory. Not read when
 *                          {@code sslBundle} is set
 * @param sslBundle         name of a Spring Boot SSL bundle with the client's certificate, key and trusted CA (e.g.
 *                          {@code spring.ssl.bundle.pem.client.*}); with {@code reload-on-update: true} the client's
 *                          next connection to a director uses the new files. Blank: the PEM files of {@code certsDir}
 * @param retryBackoff      first pause when no worker is healthy or no director answers; doubles (with jitter) up to
 *                          {@code retryBackoffMax}
 * @param retryBackoffMax   longest pause between two attempts
 * @param heartbeatInterval application heartbeat to the director
 * @param heartbeatTimeout  the director is gone after this long without an echo: reconnect and resume
 * @param tokenStream       ask the director for the client token stream: the frames of all generations on the
 *                          connection's control stream, so their tokens share packets (docs/protocol.md); false: each
 *                          generation's frames on its own stream
 * @param tokenLogLevel     level of the per-token line {@code received token} (logger
 *                          {@code io.connectionswap.client.tokens}); DEBUG: no line per token at the usual INFO
 * @param noWorkerWait      how long a generation started without its own options waits for a director connection
 *                          and a healthy worker before {@code NO_HEALTHY_WORKER} (see
 *                          {@code SwapClient.Builder#noWorkerWait}; a {@link SwapClientCustomizer} that sets null
 *                          waits as long as it takes)
 */
@ConfigurationProperties("connection-swap.client")
public record SwapClientProperties(
        @DefaultValue("127.0.0.1:61000") String directorTarget,
        String directorTlsName,
        String certsDir,
        String sslBundle,
        @DefaultValue("100ms") Duration retryBackoff,
        @DefaultValue("5s") Duration retryBackoffMax,
        @DefaultValue("1s") Duration heartbeatInterval,
        @DefaultValue("3500ms") Duration heartbeatTimeout,
        @DefaultValue("true") boolean tokenStream,
        @DefaultValue("DEBUG") Level tokenLogLevel,
        @DefaultValue("30s") Duration noWorkerWait) {

    public SwapClientProperties {
        // a bad address fails at binding, naming the setting, not when the client is built
        HostPort.parseList("connection-swap.client.director-target (CONNECTION_SWAP_DIRECTOR_TARGET in client-service)",
                directorTarget, HostPort.LOWEST_DIAL_PORT);
        // and so do durations the client cannot work with, each named with its current value and what it needs
        if (!positive(retryBackoff) || retryBackoffMax == null || retryBackoffMax.compareTo(retryBackoff) < 0) {
            throw new IllegalArgumentException("connection-swap.client.retry-backoff=" + retryBackoff
                    + " and connection-swap.client.retry-backoff-max=" + retryBackoffMax + " (default 100ms and 5s; "
                    + "expected: 0 < retry-backoff <= retry-backoff-max)");
        }
        if (!positive(heartbeatInterval) || heartbeatTimeout == null || heartbeatTimeout.compareTo(heartbeatInterval) <= 0) {
            throw new IllegalArgumentException("connection-swap.client.heartbeat-interval=" + heartbeatInterval
                    + " and connection-swap.client.heartbeat-timeout=" + heartbeatTimeout + " (default 1s and 3500ms; "
                    + "expected: 0 < heartbeat-interval < heartbeat-timeout)");
        }
        if (noWorkerWait != null && noWorkerWait.isNegative()) {
            throw new IllegalArgumentException("connection-swap.client.no-worker-wait=" + noWorkerWait
                    + " (expected: >= 0)");
        }
    }

    private static boolean positive(Duration duration) {
        return duration != null && !duration.isZero() && !duration.isNegative();
    }
}
