package io.connectionswap.worker.model;

import java.util.Map;

/** A backend with more to say in the worker's {@code model} health component than ready or not. */
public interface HealthDetails {

    /** Details shown under {@code components.model.details}; values are strings, numbers or booleans. */
    Map<String, Object> healthDetails();
}
