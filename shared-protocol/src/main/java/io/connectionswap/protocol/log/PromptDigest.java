package io.connectionswap.protocol.log;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a log line may say about a prompt: its length and a short hash, never its text. Prompts are user data (they
 * may hold personal or secret text), so the {@code prompt} field of the INFO lines is {@code <chars>c#<sha256-8>},
 * e.g. {@code prompt=42c#9f86d081}: enough to tell two prompts apart and to find the same prompt in every role's
 * log, nothing to read it back from.
 */
public final class PromptDigest {

    private static final int HASH_HEX_CHARS = 8;

    private PromptDigest() {
    }

    /** {@code <chars>c#<first 8 hex digits of SHA-256(UTF-8 text)>}; {@code -} for a null prompt. */
    public static String of(String prompt) {
        if (prompt == null) {
            return "-";
        }
        return prompt.length() + "c#" + HexFormat.of().formatHex(sha256(prompt)).substring(0, HASH_HEX_CHARS);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
