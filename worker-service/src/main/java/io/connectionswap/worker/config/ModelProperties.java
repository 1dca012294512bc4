package io.connectionswap.worker.config;

import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which model backend the worker serves ({@code CONNECTION_SWAP_MODEL_BACKEND}): {@code stand-in} (the default) or
 * {@code openai}. Anything else stops the start with a message naming the setting.
 *
 * @param backend the worker's model: {@code stand-in} (deterministic, paced by {@code CONNECTION_SWAP_TOKEN_INTERVAL})
 *                or {@code openai} (an OpenAI-compatible upstream, {@code connection-swap.upstream.*})
 */
@ConfigurationProperties("connection-swap.model")
public record ModelProperties(@DefaultValue("stand-in") String backend) {

    public static final String STAND_IN = "stand-in";
    public static final String OPENAI = "openai";
    private static final Set<String> KNOWN = Set.of(STAND_IN, OPENAI);

    public ModelProperties {
        backend = backend == null || backend.isBlank() ? STAND_IN : backend.trim();
        if (!KNOWN.contains(backend)) {
            throw new IllegalArgumentException("CONNECTION_SWAP_MODEL_BACKEND=" + backend
                    + " (expected: stand-in or openai)");
        }
    }
}
