package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/**
 * The generation is complete; {@code lastSequence} is its final token.
 *
 * @param finishReason OpenAI wire value: {@code length} or {@code stop} (see {@link FinishReason})
 * @param usage        token counts when the model reported them, or null
 */
public record End(String generationId, int lastSequence, String finishReason, Usage usage) implements Message {

    public End {
        Message.require(generationId, "generationId");
        Message.requireNonNegative(lastSequence, "lastSequence");
        if (finishReason == null) {
            finishReason = FinishReason.LENGTH.wire();
        }
    }

    public End(String generationId, int lastSequence, FinishReason reason, Usage usage) {
        this(generationId, lastSequence, reason.wire(), usage);
    }

    @Override
    public FrameType frameType() {
        return FrameType.END;
    }
}
