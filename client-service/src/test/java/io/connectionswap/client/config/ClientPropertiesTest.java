package io.connectionswap.client.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The demo loop's and client token stream's settings as Boot binds them. */
class ClientPropertiesTest {

    private static ClientProperties bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties))
                .bindOrCreate("connection-swap.client", ClientProperties.class);
    }

    @Test
    void theClientTokenStreamIsOnUnlessTurnedOff() {
        assertThat(bind(Map.of()).tokenStream()).isTrue();
        assertThat(bind(Map.of("connection-swap.client.token-stream", "false")).tokenStream()).isFalse();
    }
}
