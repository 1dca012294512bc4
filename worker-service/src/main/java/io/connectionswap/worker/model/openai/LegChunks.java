package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads one leg's events into the chunks the leg acts on, and turns those it cannot act on into the leg's failure:
 * data that is not JSON, the upstream's error, a choice other than the one the worker asks for, an answer in the
 * chat completions' shape, and a finish reason that says the upstream aborted the request. Stateless: one per leg,
 * for the leg's context in its messages.
 */
final class LegChunks {

    private final JsonMapper json;
    private final UpstreamErrors errors;
    private final GenerationContext context;

    LegChunks(JsonMapper json, UpstreamErrors errors, GenerationContext context) {
        this.json = json;
        this.errors = errors;
        this.context = context;
    }

    /**
     * The chunk of {@code event}, read after {@code produced} tokens of the leg; throws the leg's failure when the
     * chunk is one the worker cannot act on.
     */
    CompletionChunk read(SseEventParser.Event event, int produced) throws ModelException {
        CompletionChunk chunk;
        try {
            chunk = event.error() ? CompletionChunk.parseError(event.data(), json)
                    : CompletionChunk.parse(event.data(), json);
        } catch (JacksonException e) {
            throw errors.failed("upstream sent a chunk that is not JSON after " + produced + " tokens: "
                    + errors.quote(event.data()), null);
        }
        if (chunk.error() != null) {
            // the generation's tokens, not this leg's: a resumed leg's request was taken before it began
            throw errors.forStreamError(chunk.error(), context.resumeAfter() + produced);
        }
        if (chunk.otherChoice() != null) {
            // the worker asks for one choice: another one's tokens would be mixed into this one's text
            throw errors.failed("upstream sent a choice with index " + chunk.otherChoice() + " after " + produced
                    + " tokens; the worker asks for one choice (index 0): it answers several (n above 1?)", null);
        }
        if (chunk.chatShaped()) {
            // a router or server that answers /completions as chat: its text is where the worker does not read
            throw errors.failed("upstream answered /completions in the chat completions' shape after " + produced
                    + " tokens (expected choices[0].text, saw choices[0].delta.content or .message.content): a "
                    + "router or server that maps /completions to chat completions?", null);
        }
        return chunk;
    }

    /** The leg's failure for {@code chunk}, whose finish reason says the upstream aborted the request. */
    ModelException aborted(CompletionChunk chunk, int produced) {
        return errors.failed("upstream ended the generation after " + produced + " tokens with finish_reason "
                + errors.quote(chunk.finishReason()) + " (it aborted the request: shutting down, paused, or failed)",
                null);
    }
}
