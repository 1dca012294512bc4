package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/**
 * A worker introduces itself to the director.
 *
 * @param label             name in logs and metrics ({@code worker-a})
 * @param address           QUIC address the director dials, {@code host:port}
 * @param healthUrl         Actuator health URL the director polls
 * @param tokenIntervalMillis time between two tokens this worker emits; the director derives its stall timeout from it
 * @param instanceId        unique per worker process start: a restart on the same address replaces the old entry
 */
public record WorkerRegistration(String label, String address, String healthUrl, long tokenIntervalMillis,
                                 String instanceId) implements Message {

    public WorkerRegistration {
        Message.require(label, "label");
        Message.require(address, "address");
        Message.require(healthUrl, "healthUrl");
        Message.require(instanceId, "instanceId");
        if (tokenIntervalMillis <= 0) {
            throw new IllegalArgumentException("tokenIntervalMillis: " + tokenIntervalMillis + " (expected: > 0)");
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.REGISTER;
    }
}
