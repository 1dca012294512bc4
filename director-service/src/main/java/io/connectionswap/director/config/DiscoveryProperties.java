package io.connectionswap.director.config;

import io.connectionswap.protocol.quic.HostPort;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Worker discovery through DNS, besides registration: every address behind a name (a Kubernetes headless
 * Service) is a worker, polled and dialled like a registered one. Lets every director replica know every worker.
 *
 * @param dns           {@code host:port} to resolve ({@code CONNECTION_SWAP_DISCOVERY_DNS}); blank: off
 * @param interval      how often the name is resolved again
 * @param healthPort    Actuator port of discovered workers ({@code CONNECTION_SWAP_DISCOVERY_HEALTH_PORT})
 * @param healthPath    Actuator health path of discovered workers
 * @param tokenInterval token interval assumed for discovered workers until they register
 *                      ({@code CONNECTION_SWAP_TOKEN_INTERVAL}); it sets their stall timeout
 */
@ConfigurationProperties("connection-swap.discovery")
public record DiscoveryProperties(
        String dns,
        @DefaultValue("5s") Duration interval,
        @DefaultValue("8081") int healthPort,
        @DefaultValue("/actuator/health") String healthPath,
        @DefaultValue("1s") Duration tokenInterval) {

    private static final String DNS_SETTING = "CONNECTION_SWAP_DISCOVERY_DNS";

    public DiscoveryProperties {
        if (dns != null && !dns.isBlank()) {
            // fails at binding, naming the setting; a port to dial, not 0
            HostPort.parse(DNS_SETTING, dns, HostPort.LOWEST_DIAL_PORT);
        }
        if (interval == null || interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("CONNECTION_SWAP_DISCOVERY_INTERVAL=" + interval + " (expected: > 0)");
        }
        if (healthPort < 1 || healthPort > 65535) {
            throw new IllegalArgumentException("CONNECTION_SWAP_DISCOVERY_HEALTH_PORT=" + healthPort
                    + " (expected: 1 to 65535, the discovered workers' Actuator port)");
        }
    }

    public boolean enabled() {
        return dns != null && !dns.isBlank();
    }

    public HostPort target() {
        return HostPort.parse(DNS_SETTING, dns, HostPort.LOWEST_DIAL_PORT);
    }
}
