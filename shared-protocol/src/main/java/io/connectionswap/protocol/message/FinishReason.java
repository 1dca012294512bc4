package io.connectionswap.protocol.message;

/**
 * Why a generation ended normally, with the OpenAI wire value. A generation that fails ends with an ERROR frame
 * instead (the {@code error} finish reason of the model interface).
 */
public enum FinishReason {
    /** {@code max_tokens} reached. */
    LENGTH("length"),
    /** The model finished, or a stop sequence was produced. */
    STOP("stop");

    private final String wire;

    FinishReason(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /** The reason for a wire value; unknown values (from a newer peer) are {@link #STOP}. */
    public static FinishReason fromWire(String value) {
        return "length".equals(value) ? LENGTH : STOP;
    }
}
