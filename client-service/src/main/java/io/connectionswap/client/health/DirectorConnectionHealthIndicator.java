package io.connectionswap.client.health;

import io.connectionswap.client.quic.DirectorConnection;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/** UP while the client holds its QUIC connection to the director; shows since when and how many reconnects. */
public class DirectorConnectionHealthIndicator extends AbstractHealthIndicator {

    private final DirectorConnection connection;
    private final String target;

    public DirectorConnectionHealthIndicator(DirectorConnection connection, String target) {
        super("director connection health check failed");
        this.connection = connection;
        this.target = target;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.status(connection.isConnected() ? "UP" : "DOWN")
                .withDetail("target", target)
                .withDetail("reconnects", connection.reconnects());
        if (connection.connectedSince() != null) {
            builder.withDetail("connectedSince", connection.connectedSince().toString());
        }
        if (connection.lastProblem() != null) {
            builder.withDetail("lastProblem", connection.lastProblem());
        }
    }
}
