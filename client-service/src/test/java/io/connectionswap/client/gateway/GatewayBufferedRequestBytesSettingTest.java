package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/**
 * {@code CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES}: unset, a quarter of the JVM's heap and never below one
 * request of {@code CONNECTION_SWAP_MAX_REQUEST_BYTES}; set below that request, the start stops (no request could fit).
 */
class GatewayBufferedRequestBytesSettingTest {

    private static final long MIB = 1024 * 1024;

    @Test
    void unsetIsAQuarterOfTheHeapAndAtLeastOneRequest() {
        assertThat(GatewayProperties.derivedBufferedRequestBytes(4 * MIB, 179 * MIB)).isEqualTo(179 * MIB / 4);
        assertThat(GatewayProperties.derivedBufferedRequestBytes(4 * MIB, 8 * MIB)).isEqualTo(4 * MIB);
        assertThat(withBudget(null).maxBufferedRequestBytes().toBytes())
                .isEqualTo(Math.max(4 * MIB, Runtime.getRuntime().maxMemory() / 4));
    }

    @Test
    void aSetValueIsKept() {
        assertThat(withBudget(DataSize.ofMegabytes(64)).maxBufferedRequestBytes()).isEqualTo(DataSize.ofMegabytes(64));
    }

    @Test
    void belowOneRequestStopsTheStart() {
        assertThatThrownBy(() -> withBudget(DataSize.ofMegabytes(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES=1048576")
                .hasMessageContaining("CONNECTION_SWAP_MAX_REQUEST_BYTES=4194304");
    }

    private static GatewayProperties withBudget(DataSize budget) {
        return new GatewayProperties(List.of(), DataSize.ofMegabytes(4), Duration.ofSeconds(10), Duration.ofSeconds(2),
                16, 65536, 0, Duration.ofSeconds(75), Duration.ofSeconds(60), Duration.ofSeconds(30), 0, List.of(),
                budget, Duration.ZERO);
    }
}
