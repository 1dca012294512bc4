package io.connectionswap.client.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.swapclient.spring.SwapClientProperties;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The demo loop's settings as Boot binds them; the client token stream is the starter's setting under the same
 * prefix, bound once.
 */
class ClientPropertiesTest {

    private static <T> T bind(Map<String, String> properties, Class<T> type) {
        return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("connection-swap.client", type);
    }

    @Test
    void theDemoLoopsDefaultsAndLimits() {
        ClientProperties defaults = bind(Map.of(), ClientProperties.class);
        assertThat(defaults.demo()).isTrue();
        assertThat(defaults.maxTokens()).isEqualTo(30);
        assertThat(defaults.concurrency()).isEqualTo(1);
        assertThatThrownBy(() -> bind(Map.of("connection-swap.client.concurrency", "0"), ClientProperties.class))
                .rootCause().hasMessageContaining("CONNECTION_SWAP_CLIENT_CONCURRENCY=0");
    }

    @Test
    void theClientTokenStreamIsTheStartersSettingOnUnlessTurnedOff() {
        String target = "connection-swap.client.director-target";
        assertThat(bind(Map.of(target, "127.0.0.1:1"), SwapClientProperties.class).tokenStream()).isTrue();
        assertThat(bind(Map.of(target, "127.0.0.1:1", "connection-swap.client.token-stream", "false"),
                SwapClientProperties.class).tokenStream()).isFalse();
    }
}
