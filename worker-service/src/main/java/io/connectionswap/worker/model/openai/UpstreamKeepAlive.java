package io.connectionswap.worker.model.openai;

import java.time.Duration;

/**
 * How long the JDK's HTTP client keeps an idle connection to the upstream in its pool: {@value #DEFAULT_SECONDS} s
 * rather than Java 17's 1200 s, below the idle timeouts of most load balancers, proxies and NATs (60 s to a few
 * minutes), which drop an idle connection, often without a word. A request sent on such a connection meets a close
 * or a reset ({@link StaleConnectionRetry} sends it again) or, on a connection dropped silently, nothing at all until
 * the first-token timeout: rarer the sooner the pool lets idle connections go.
 *
 * <p>The JDK reads {@value #PROPERTY} once, when the first {@code HttpClient} of the JVM is built (any client: the
 * trace exporter's too), so {@link #capIdleConnections} is called first in the worker's {@code main}. A value set on
 * the command line (or in {@code JAVA_TOOL_OPTIONS}) is left as it is.
 */
public final class UpstreamKeepAlive {

    /** The JDK's system property: seconds an idle connection stays in the pool. */
    public static final String PROPERTY = "jdk.httpclient.keepalive.timeout";
    static final int DEFAULT_SECONDS = 30;

    private UpstreamKeepAlive() {
    }

    /** Sets {@value #PROPERTY} to {@value #DEFAULT_SECONDS} s unless it is set; returns what is in force. */
    public static Duration capIdleConnections() {
        if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, Integer.toString(DEFAULT_SECONDS));
        }
        return idle();
    }

    /** The idle time set by {@value #PROPERTY}, or null if it is not set (the JDK's default then: 1200 s). */
    static Duration idle() {
        String seconds = System.getProperty(PROPERTY);
        try {
            return seconds == null ? null : Duration.ofSeconds(Long.parseLong(seconds.strip()));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
