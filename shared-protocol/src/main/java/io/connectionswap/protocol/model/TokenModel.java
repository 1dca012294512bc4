package io.connectionswap.protocol.model;

/**
 * Produces the tokens of a generation. Token {@code n} must depend only on the prompt and {@code n}, so that
 * any worker can continue any generation from any point and the client's text can be checked. A real model
 * plugs in here (in the worker, as a Spring bean) without touching the transport.
 */
public interface TokenModel {

    /** Name shown in health details and logs. */
    String name();

    /**
     * The text of token {@code sequence} (1-based) of the generation for {@code prompt}. Called on a network
     * event loop: it must not block.
     */
    String token(String prompt, int sequence);

    /** Whether the model can serve; reported in the worker's health. */
    default boolean isReady() {
        return true;
    }

    /** The text of tokens {@code from..to} (inclusive) concatenated: what a client should have received. */
    default String text(String prompt, int from, int to) {
        StringBuilder text = new StringBuilder();
        for (int sequence = from; sequence <= to; sequence++) {
            text.append(token(prompt, sequence));
        }
        return text.toString();
    }
}
