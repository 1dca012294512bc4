package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/**
 * {@code CONNECTION_SWAP_GATEWAY_API_KEYS}: unset or empty means no authentication, as documented. A value of
 * separators only ({@code " , "}: the keys of a template such as {@code ${KEY_A},${KEY_B}} both missing) meant keys,
 * and was taken as none, turning authentication off without a word; it now stops the start.
 */
class GatewayApiKeysSettingTest {

    @Test
    void unsetOrEmptyMeansNoAuthentication() {
        assertThat(withKeys(null).authenticationEnabled()).isFalse();
        assertThat(withKeys(List.of()).authenticationEnabled()).isFalse();
        assertThat(withKeys(List.of(" ")).authenticationEnabled()).isFalse();
    }

    @Test
    void keysAreTrimmedAndBlanksBetweenThemDropped() {
        assertThat(withKeys(List.of(" sk-a ", "", "sk-b")).apiKeys()).containsExactly("sk-a", "sk-b");
    }

    @Test
    void separatorsWithoutAnyKeyStopTheStart() {
        assertThatThrownBy(() -> withKeys(List.of(" ", " "))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_GATEWAY_API_KEYS").hasMessageContaining("every one is blank");
    }

    private static GatewayProperties withKeys(List<String> keys) {
        return new GatewayProperties(keys, DataSize.ofMegabytes(4), Duration.ofSeconds(10), Duration.ofSeconds(2),
                16, 65536, 0, Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ZERO, 0, List.of(), null,
                Duration.ZERO);
    }
}
