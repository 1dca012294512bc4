package io.connectionswap.protocol.message;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a generation samples, as an OpenAI-compatible request says it. Only {@code maxTokens} is required; the others
 * are passed to the model as given (null: the model's default).
 *
 * @param maxTokens   tokens in the whole generation (across every swap)
 * @param temperature 0 to 2
 * @param topP        above 0, at most 1
 * @param stop        up to {@value #MAX_STOP} sequences that end the generation (not included in the text)
 * @param seed        sampling seed
 * @param user        end-user id, passed through
 * @param frequencyPenalty -2 to 2
 * @param presencePenalty  -2 to 2 (both: a peer of an older version leaves them out, and ignores them)
 * @param logitBias        token id (the model's tokenizer's, as a decimal string) to a bias of -100 to 100, at most
 *                         {@value #MAX_LOGIT_BIAS} entries; null or empty: none (a peer of an older version leaves it
 *                         out, and ignores it)
 */
public record SamplingParameters(int maxTokens, Double temperature, Double topP, List<String> stop, Long seed,
                                 String user, Double frequencyPenalty, Double presencePenalty,
                                 Map<String, Double> logitBias) {

    public static final int MAX_STOP = 4;
    public static final int MAX_LOGIT_BIAS = 1024;
    public static final int MAX_STOP_CHARS = 256;
    public static final int MAX_USER_CHARS = 256;
    /** A token id: a non-negative int in decimal, without leading zeros. */
    private static final Pattern TOKEN_ID = Pattern.compile("0|[1-9][0-9]{0,9}");

    public SamplingParameters {
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens: " + maxTokens + " (expected: > 0)");
        }
        if (temperature != null && !(temperature >= 0 && temperature <= 2)) {
            throw new IllegalArgumentException("temperature: " + temperature + " (expected: 0 to 2)");
        }
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP: " + topP + " (expected: above 0, at most 1)");
        }
        if (stop != null) {
            if (stop.size() > MAX_STOP) {
                throw new IllegalArgumentException("stop: " + stop.size() + " sequences (expected: at most " + MAX_STOP + ")");
            }
            for (String sequence : stop) {
                if (sequence == null || sequence.isEmpty() || sequence.length() > MAX_STOP_CHARS) {
                    throw new IllegalArgumentException("stop: each sequence must have 1 to " + MAX_STOP_CHARS + " characters");
                }
            }
            stop = List.copyOf(stop);
        }
        checkPenalty("frequencyPenalty", frequencyPenalty);
        checkPenalty("presencePenalty", presencePenalty);
        logitBias = checkLogitBias(logitBias);
        if (user != null && user.length() > MAX_USER_CHARS) {
            throw new IllegalArgumentException("user: " + user.length() + " characters (expected: at most " + MAX_USER_CHARS + ")");
        }
    }

    /** The parameters without the penalties and biases (the model's defaults). */
    public SamplingParameters(int maxTokens, Double temperature, Double topP, List<String> stop, Long seed,
                              String user) {
        this(maxTokens, temperature, topP, stop, seed, user, null, null, null);
    }

    /** Only a token budget; every other parameter left to the model. */
    public static SamplingParameters maxTokens(int maxTokens) {
        return new SamplingParameters(maxTokens, null, null, null, null, null);
    }

    private static Map<String, Double> checkLogitBias(Map<String, Double> logitBias) {
        if (logitBias == null || logitBias.isEmpty()) {
            return null;
        }
        if (logitBias.size() > MAX_LOGIT_BIAS) {
            throw new IllegalArgumentException("logitBias: " + logitBias.size() + " entries (expected: at most "
                    + MAX_LOGIT_BIAS + ")");
        }
        Map<String, Double> checked = new LinkedHashMap<>();
        logitBias.forEach((token, bias) -> {
            if (token == null || !TOKEN_ID.matcher(token).matches() || Long.parseLong(token) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("logitBias: token '" + token + "' (expected: a token id, 0 to "
                        + "2147483647 in decimal)");
            }
            if (bias == null || !(bias >= -100 && bias <= 100)) {
                throw new IllegalArgumentException("logitBias: " + bias + " for token " + token
                        + " (expected: -100 to 100)");
            }
            checked.put(token, bias);
        });
        return Collections.unmodifiableMap(checked);
    }

    private static void checkPenalty(String name, Double penalty) {
        if (penalty != null && !(penalty >= -2 && penalty <= 2)) {
            throw new IllegalArgumentException(name + ": " + penalty + " (expected: -2 to 2)");
        }
    }

    /** The stop sequences, never null. */
    public List<String> stopSequences() {
        return stop == null ? List.of() : stop;
    }
}
