package io.connectionswap.protocol.model;

import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.Usage;

/**
 * What a {@link ModelBackend}'s publisher emits: {@link Text} pieces (each one becomes one TOKEN frame with the next
 * sequence number), then exactly one {@link Finished}. A failure is signalled with {@code onError} instead, with a
 * {@link ModelException} that says whether the request or the backend is at fault.
 */
public sealed interface ModelEvent {

    /** One token piece, as the model produced it (may be empty). */
    record Text(String text) implements ModelEvent {
        public Text {
            if (text == null) {
                throw new IllegalArgumentException("text is required");
            }
        }
    }

    /** The generation ended normally; {@code usage} when the model counts tokens, else null. */
    record Finished(FinishReason reason, Usage usage) implements ModelEvent {
        public Finished {
            if (reason == null) {
                throw new IllegalArgumentException("reason is required");
            }
        }
    }
}
