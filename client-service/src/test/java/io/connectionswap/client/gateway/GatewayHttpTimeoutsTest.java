package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.util.unit.DataSize;
import reactor.netty.http.server.HttpServer;

/**
 * The gateway's HTTP timeouts, connection limit and SSE keep-alive as settings: their defaults, 0 for none, and a clear refusal of a
 * negative one. What they do to real connections is {@code GatewayTimeoutsIT}'s and
 * {@code GatewayConnectionLimitTest}'s.
 */
class GatewayHttpTimeoutsTest {

    @Test
    void byDefaultTheTimeoutsAre75And60SecondsAndTenThousandConnectionsMayBeOpen() {
        new ApplicationContextRunner().withUserConfiguration(GatewayHttpLoops.class).run(context -> {
            GatewayProperties properties = context.getBean(GatewayProperties.class);
            assertThat(properties.idleTimeout()).isEqualTo(Duration.ofSeconds(75));
            assertThat(properties.requestTimeout()).isEqualTo(Duration.ofSeconds(60));
            assertThat(properties.writeTimeout()).isEqualTo(Duration.ofSeconds(30));
            assertThat(properties.maxConnections()).isEqualTo(10_000);
            assertThat(properties.sseKeepAlive()).as("CONNECTION_SWAP_GATEWAY_SSE_KEEPALIVE")
                    .isEqualTo(Duration.ofSeconds(15));
        });
    }

    @Test
    void theIdleTimeoutReachesTheServerAndZeroMeansNone() {
        HttpServer timed = new GatewayHttpTimeouts(properties(Duration.ofSeconds(5), Duration.ofSeconds(7)), () -> { },
                () -> { }, code -> { })
                .apply(HttpServer.create());
        assertThat(timed.configuration().idleTimeout()).isEqualTo(Duration.ofSeconds(5));

        HttpServer untimed = new GatewayHttpTimeouts(properties(Duration.ZERO, Duration.ZERO), () -> { }, () -> { },
                code -> { })
                .apply(HttpServer.create());
        assertThat(untimed.configuration().idleTimeout()).isNull();
    }

    @Test
    void aNegativeConnectionLimitIsRefusedWithTheVariableNamed() {
        assertThatThrownBy(() -> properties(Duration.ZERO, Duration.ZERO, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_GATEWAY_MAX_CONNECTIONS=-1");
    }

    @Test
    void aNegativeTimeoutIsRefusedWithTheVariableNamed() {
        assertThatThrownBy(() -> properties(Duration.ofSeconds(-1), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_GATEWAY_IDLE_TIMEOUT=");
        assertThatThrownBy(() -> properties(Duration.ZERO, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_GATEWAY_REQUEST_TIMEOUT=");
        assertThatThrownBy(() -> GatewayOnSpringsRouter.properties(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_GATEWAY_SSE_KEEPALIVE=");
    }

    private static GatewayProperties properties(Duration idle, Duration request) {
        return properties(idle, request, 0);
    }

    private static GatewayProperties properties(Duration idle, Duration request, int maxConnections) {
        return new GatewayProperties(List.of(), DataSize.ofMegabytes(4), Duration.ofSeconds(10), Duration.ofSeconds(2),
                16, 65536, 0, idle, request, Duration.ZERO, maxConnections, List.of(), null, Duration.ZERO);
    }
}
