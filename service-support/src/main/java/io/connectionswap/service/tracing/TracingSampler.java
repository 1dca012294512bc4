package io.connectionswap.service.tracing;

import io.connectionswap.protocol.log.LogLine;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.slf4j.Logger;
import org.springframework.core.env.Environment;

/**
 * The sampler every role uses in place of Boot's (10 % of new traces by default): nothing while tracing is off,
 * {@code management.tracing.sampling.probability} (1.0 unless set; a caller's sampled flag is followed) while on.
 * Logs the choice once, with the OTLP endpoint stripped of any credentials.
 */
public final class TracingSampler {

    private TracingSampler() {
    }

    /** {@code whenOn}: what the role traces, for the log line (e.g. "a span per leg served"). */
    public static Sampler of(boolean enabled, Environment environment, String whenOn, Logger log) {
        double probability = environment.getProperty("management.tracing.sampling.probability", Double.class, 1.0);
        String otlpEndpoint = environment
                .getProperty("management.opentelemetry.tracing.export.otlp.endpoint", "none")
                .replaceFirst("//[^/@]*@", "//");
        LogLine.info(log).field("tracing.enabled", enabled).field("sampling.probability", enabled ? probability : 0)
                .field("otlp.endpoint", otlpEndpoint)
                .log("tracing {}", enabled ? "on: " + whenOn : "off (CONNECTION_SWAP_TRACING=true turns it on)");
        return enabled ? Sampler.parentBased(Sampler.traceIdRatioBased(probability)) : Sampler.alwaysOff();
    }
}
