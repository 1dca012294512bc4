package io.connectionswap.worker.health;

import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.worker.model.HealthDetails;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * UP while the model backend can serve; DOWN (with the backend's reason) takes the worker out of rotation: this
 * component is part of the root health the director polls. The openai backend adds its upstream's URL, last check
 * and problem ({@link HealthDetails}).
 */
@Component("model")
public class ModelHealthIndicator extends AbstractHealthIndicator {

    private final ModelBackend model;

    public ModelHealthIndicator(ModelBackend model) {
        super("model health check failed");
        this.model = model;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.status(model.isReady() ? "UP" : "DOWN")
                .withDetail("backend", model.name())
                .withDetail("models", model.models());
        if (model.tokenInterval() != null) {
            builder.withDetail("tokenInterval", model.tokenInterval().toString());
        }
        if (!model.isReady() && model.problem() != null) {
            builder.withDetail("problem", model.problem());
        }
        if (model instanceof HealthDetails details) {
            builder.withDetails(details.healthDetails());
        }
    }
}
