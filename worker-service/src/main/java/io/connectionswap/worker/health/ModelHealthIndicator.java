package io.connectionswap.worker.health;

import io.connectionswap.protocol.model.TokenModel;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/** UP while the token model can serve. */
@Component("model")
public class ModelHealthIndicator extends AbstractHealthIndicator {

    private final TokenModel model;

    public ModelHealthIndicator(TokenModel model) {
        super("model health check failed");
        this.model = model;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.status(model.isReady() ? "UP" : "DOWN").withDetail("name", model.name());
    }
}
