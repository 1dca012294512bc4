package io.connectionswap.client.stream;

import java.util.List;

/**
 * A finished generation as the client received it.
 *
 * @param generationId id the client gave it
 * @param prompt       its prompt
 * @param text         the tokens' text, concatenated in sequence order
 * @param tokens       tokens received in sequence
 * @param workers      workers that served it, in order (more than one when it was swapped)
 * @param connectionIds director connection ids it used (one unless the director itself was lost)
 * @param sequenceErrors gaps and duplicates seen (must be 0)
 */
public record GenerationResult(String generationId, String prompt, String text, int tokens, List<String> workers,
                               List<String> connectionIds, int sequenceErrors) {
}
