package io.connectionswap.protocol.message;

/** Token counts of a generation, when the model reports them. */
public record Usage(int promptTokens, int completionTokens) {

    public Usage {
        Message.requireNonNegative(promptTokens, "promptTokens");
        Message.requireNonNegative(completionTokens, "completionTokens");
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
