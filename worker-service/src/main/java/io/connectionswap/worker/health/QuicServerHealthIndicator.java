package io.connectionswap.worker.health;

import io.connectionswap.worker.quic.ActiveStreams;
import io.connectionswap.worker.quic.WorkerQuicServer;
import io.connectionswap.worker.quic.WorkerStreamContext;
import io.connectionswap.worker.registration.DirectorRegistration;
import java.net.InetSocketAddress;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * UP while the QUIC server is bound. A draining worker is still UP here (it is alive and finishing its
 * streams); readiness says it takes no new traffic.
 */
@Component("quicServer")
public class QuicServerHealthIndicator extends AbstractHealthIndicator {

    private final WorkerQuicServer server;
    private final ActiveStreams activeStreams;
    private final WorkerStreamContext streamContext;
    private final DirectorRegistration registration;

    public QuicServerHealthIndicator(WorkerQuicServer server, ActiveStreams activeStreams,
                                     WorkerStreamContext streamContext, DirectorRegistration registration) {
        super("quic server health check failed");
        this.server = server;
        this.activeStreams = activeStreams;
        this.streamContext = streamContext;
        this.registration = registration;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        InetSocketAddress address = server.localAddress();
        if (address == null) {
            builder.down().withDetail("bound", false);
            return;
        }
        builder.up()
                .withDetail("bound", true)
                .withDetail("address", address.getHostString() + ":" + address.getPort())
                .withDetail("activeStreams", activeStreams.count())
                .withDetail("draining", streamContext.draining())
                .withDetail("registeredWithDirector", registration.isRegistered())
                .withDetail("directors", registration.directors());
        if (registration.registeredAt() != null) {
            builder.withDetail("registeredAt", registration.registeredAt().toString());
        }
        if (registration.lastProblem() != null) {
            builder.withDetail("registrationProblem", registration.lastProblem());
        }
    }
}
