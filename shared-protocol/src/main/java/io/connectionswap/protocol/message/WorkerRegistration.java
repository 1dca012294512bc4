package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;
import java.util.List;

/**
 * A worker introduces itself to the director.
 *
 * @param label               name in logs and metrics ({@code worker-a})
 * @param address             QUIC address the director dials, {@code host:port}
 * @param healthUrl           Actuator health URL the director polls
 * @param tokenIntervalMillis time between two tokens when the worker's model keeps a fixed pace (the stand-in);
 *                            0 when the model sets its own pace (a real model): the director then judges a hang by
 *                            the worker's link heartbeat alone
 * @param instanceId          unique per worker process start: a restart on the same address replaces the old entry
 * @param models              the model names this worker serves (listed by the gateway's {@code /v1/models})
 */
public record WorkerRegistration(String label, String address, String healthUrl, long tokenIntervalMillis,
                                 String instanceId, List<String> models) implements Message {

    public WorkerRegistration {
        Message.require(label, "label");
        Message.require(address, "address");
        Message.require(healthUrl, "healthUrl");
        Message.require(instanceId, "instanceId");
        if (tokenIntervalMillis < 0) {
            throw new IllegalArgumentException("tokenIntervalMillis: " + tokenIntervalMillis + " (expected: >= 0)");
        }
        models = models == null ? List.of() : List.copyOf(models);
    }

    @Override
    public FrameType frameType() {
        return FrameType.REGISTER;
    }
}
