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
 * @param features            protocol features this worker speaks beyond the base protocol ({@link #TOKEN_STREAM});
 *                            a director uses only those both sides know, so either may be upgraded first
 */
public record WorkerRegistration(String label, String address, String healthUrl, long tokenIntervalMillis,
                                 String instanceId, List<String> models, List<String> features) implements Message {

    /** The worker sends its generations' frames on a connection's token stream when asked ({@link TokenStream}). */
    public static final String TOKEN_STREAM = "token-stream";

    /** A registration without features (a worker that speaks the base protocol only). */
    public WorkerRegistration(String label, String address, String healthUrl, long tokenIntervalMillis,
                              String instanceId, List<String> models) {
        this(label, address, healthUrl, tokenIntervalMillis, instanceId, models, List.of());
    }

    public WorkerRegistration {
        Message.require(label, "label");
        Message.require(address, "address");
        Message.require(healthUrl, "healthUrl");
        Message.require(instanceId, "instanceId");
        if (tokenIntervalMillis < 0) {
            throw new IllegalArgumentException("tokenIntervalMillis: " + tokenIntervalMillis + " (expected: >= 0)");
        }
        models = models == null ? List.of() : List.copyOf(models);
        features = features == null ? List.of() : List.copyOf(features);
    }

    /** Whether this worker registered {@code feature}. */
    public boolean supports(String feature) {
        return features.contains(feature);
    }

    @Override
    public FrameType frameType() {
        return FrameType.REGISTER;
    }
}
