package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;
import java.util.List;
import java.util.regex.Pattern;

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
 * @param models              the model names this worker serves (listed by the gateway's {@code /v1/models}); a
 *                            director accepts only names a client may ask for
 *                            ({@link GenerationRequest#validModelName})
 * @param features            protocol features this worker speaks beyond the base protocol ({@link #TOKEN_STREAM});
 *                            a director uses only those both sides know, so either may be upgraded first
 */
public record WorkerRegistration(String label, String address, String healthUrl, long tokenIntervalMillis,
                                 String instanceId, List<String> models, List<String> features) implements Message {

    /** The worker sends its generations' frames on a connection's token stream when asked ({@link TokenStream}). */
    public static final String TOKEN_STREAM = "token-stream";
    /** Longest label a director accepts. */
    public static final int MAX_LABEL_LENGTH = 64;
    /** What a director accepts as a label, for messages. */
    public static final String LABEL_RULE = "1 to " + MAX_LABEL_LENGTH
            + " letters, digits, '.', '_', ':' or '-', starting with a letter or digit";
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]*");

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

    /** Whether a director accepts {@code label} ({@link #LABEL_RULE}): the worker checks its own at start. */
    public static boolean validLabel(String label) {
        return label != null && label.length() <= MAX_LABEL_LENGTH && LABEL.matcher(label).matches();
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
