package io.connectionswap.director.health;

import io.connectionswap.director.quic.DirectorQuicServer;
import io.connectionswap.director.relay.Relays;
import java.net.InetSocketAddress;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * UP while the director's QUIC server is bound and accepting; OUT_OF_SERVICE once its shutdown drain has begun (it
 * is in the readiness group: the director leaves load balancers first), DOWN when unbound.
 */
public class QuicServerHealthIndicator extends AbstractHealthIndicator {

    private final DirectorQuicServer server;
    private final Relays relays;

    public QuicServerHealthIndicator(DirectorQuicServer server, Relays relays) {
        super("quic server health check failed");
        this.server = server;
        this.relays = relays;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        InetSocketAddress address = server.localAddress();
        if (address == null) {
            builder.down().withDetail("bound", false);
            return;
        }
        if (server.draining()) {
            builder.outOfService();
        } else {
            builder.up();
        }
        builder.withDetail("bound", true)
                .withDetail("draining", server.draining())
                .withDetail("address", address.getHostString() + ":" + address.getPort())
                .withDetail("connections", server.openConnections())
                .withDetail("activeStreams", relays.activeSessions());
    }
}
