package io.connectionswap.client.health;

import io.connectionswap.client.quic.DirectorConnection;
import io.connectionswap.swapclient.ConnectionState;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/** UP while the client holds its QUIC connection to the director; shows since when and how many reconnects. */
public class DirectorConnectionHealthIndicator extends AbstractHealthIndicator {

    private final DirectorConnection connection;

    public DirectorConnectionHealthIndicator(DirectorConnection connection) {
        super("director connection health check failed");
        this.connection = connection;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        ConnectionState state = connection.state();
        builder.status(state.connected() ? "UP" : "DOWN")
                .withDetail("target", connection.target())
                .withDetail("reconnects", state.reconnects());
        if (state.connectedSince() != null) {
            builder.withDetail("connectedSince", state.connectedSince().toString());
        }
        if (state.lastProblem() != null) {
            builder.withDetail("lastProblem", state.lastProblem());
        }
    }
}
