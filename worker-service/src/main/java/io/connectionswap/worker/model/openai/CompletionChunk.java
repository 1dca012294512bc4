package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.message.Usage;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * One event of a streamed {@code /v1/completions} answer, as far as the worker cares:
 * <ul>
 *   <li>{@code [DONE]}: the stream is complete;</li>
 *   <li>{@code choices[0].text}: one token piece (one TOKEN frame), even when empty, because the upstream counted
 *       it against {@code max_tokens}; only an empty text that comes with the {@code finish_reason} is not a
 *       token (several servers end with such a chunk);</li>
 *   <li>{@code choices[0].finish_reason}: {@code length}, {@code stop}, or another value (read as stop; TGI's
 *       {@code eos_token}, {@code stop_sequence}), except {@code abort} and {@code error} (vLLM, SGLang: the server
 *       aborted the request, a failure to move from); an empty one is none (TGI sends {@code ""} on every chunk
 *       before the last);</li>
 *   <li>{@code usage} (with {@code stream_options.include_usage}, often in a chunk with no choices);</li>
 *   <li>{@code error}: the upstream failed after the answer started (an object; TGI's is a string, with
 *       {@code error_type});</li>
 *   <li>{@code model}: the model the upstream says answered;</li>
 *   <li>{@code choices[i].index}: a choice other than 0 is an answer the worker did not ask for (it asks for one);</li>
 *   <li>{@code choices[0].delta.content} or {@code .message.content} without {@code text}: a chat completion's
 *       chunk, not one of {@code /completions} (a router that maps both paths to chat); a {@code delta} without
 *       {@code content} is no chat text (an empty one beside the finish reason ends a {@code /completions}
 *       answer).</li>
 * </ul>
 * An event that says it is an error ({@link #parseError}) is an error chunk whatever its data.
 *
 * @param done         the {@code [DONE]} marker
 * @param text         the token piece, or null when the chunk carries none
 * @param finishReason the finish reason, or null
 * @param usage        token counts, or null
 * @param error        the error object, or null
 * @param model        the model named in the chunk, or null
 * @param otherChoice  the index of a choice other than 0 in the chunk, or null
 * @param chatShaped   the choice is a chat completion's ({@code delta.content} or {@code message.content}, no
 *                     {@code text}): an
 *                     endpoint that answers {@code /completions} as chat, which the worker cannot read
 */
record CompletionChunk(boolean done, String text, String finishReason, Usage usage, JsonNode error, String model,
                       Integer otherChoice, boolean chatShaped) {

    static final String DONE = "[DONE]";

    /** Reads one event's data; throws Jackson's exception when it is not JSON. */
    static CompletionChunk parse(String data, JsonMapper json) {
        if (DONE.equals(data.strip())) {
            return new CompletionChunk(true, null, null, null, null, null, null, false);
        }
        return read(json.readTree(data), json);
    }

    /**
     * Reads the data of an event that says it is an error ({@code event: error}, llama.cpp's {@code error:} field):
     * always an error chunk. Its error is that of a chunk the data is ({@code {"error": {...}}}), else the data's JSON
     * object itself ({@code {"type":"error","code":...,"message":...}}), else an object whose message is the data's
     * text (not JSON: plain text, or several {@code error:} lines of one event, joined with newlines).
     */
    static CompletionChunk parseError(String data, JsonMapper json) {
        JsonNode root;
        try {
            root = json.readTree(data);
        } catch (JacksonException e) {
            root = null;
        }
        if (root != null && root.isObject()) {
            CompletionChunk chunk = read(root, json);
            return errorChunk(chunk.error() != null ? chunk.error() : root);
        }
        ObjectNode error = json.createObjectNode();
        error.put("message", root != null && root.isString() ? root.asString() : data.strip());
        return errorChunk(error);
    }

    /** A chunk that is the upstream's {@code error} and nothing else. */
    private static CompletionChunk errorChunk(JsonNode error) {
        return new CompletionChunk(false, null, null, null, error, null, null, false);
    }

    private static CompletionChunk read(JsonNode root, JsonMapper json) {
        if (root.path("error").isObject()) {
            return errorChunk(root.path("error"));
        }
        if (root.path("error").isString()) { // TGI: {"error": "...", "error_type": "generation" | "validation" | ...}
            ObjectNode error = json.createObjectNode();
            error.put("message", root.path("error").asString());
            String type = root.path("error_type").asString("");
            error.put("type", "validation".equals(type) ? "invalid_request_error" : type);
            return errorChunk(error);
        }
        if ("error".equals(root.path("object").asString(null))) {
            // vLLM's older top-level error object
            return errorChunk(root);
        }
        String text = null;
        String finishReason = null;
        JsonNode choice = root.path("choices").path(0);
        if (choice.isObject()) {
            text = choice.path("text").isString() ? choice.path("text").asString() : null;
            JsonNode reason = choice.path("finish_reason");
            finishReason = reason.isString() && !reason.asString().isEmpty() ? reason.asString() : null;
        }
        Usage usage = null;
        JsonNode counts = root.path("usage");
        if (counts.isObject() && counts.path("completion_tokens").isNumber()) {
            usage = new Usage(Math.max(0, counts.path("prompt_tokens").asInt(0)),
                    Math.max(0, counts.path("completion_tokens").asInt()));
        }
        String model = root.path("model").isString() ? root.path("model").asString() : null;
        return new CompletionChunk(false, text, finishReason, usage, null, model, otherChoice(root.path("choices")),
                chatShaped(choice));
    }

    /**
     * The index of a choice other than the one the worker asks for (index 0; a choice without an index is it), or
     * null: an upstream that answers several choices (n above 1) streams each in chunks of its own.
     */
    private static Integer otherChoice(JsonNode choices) {
        for (JsonNode choice : choices) {
            JsonNode index = choice.path("index");
            if (index.isNumber() && index.asInt() != 0) {
                return index.asInt();
            }
        }
        return null;
    }

    /**
     * Whether {@code choice} is a chat completion's: its text in {@code delta.content} (streamed) or
     * {@code message.content}, none in {@code text}. A {@code delta} or {@code message} without that text (an empty
     * {@code delta} beside the finish reason, from a server that fills both shapes' fields) is no chat text.
     */
    private static boolean chatShaped(JsonNode choice) {
        return choice.isObject() && !choice.path("text").isString()
                && (choice.path("delta").path("content").isString()
                        || choice.path("message").path("content").isString());
    }

    /** Whether the upstream says it aborted the request ({@code finish_reason} {@code abort} or {@code error}). */
    boolean aborted() {
        return "abort".equals(finishReason) || "error".equals(finishReason);
    }

    /** Whether this chunk carries one token piece. */
    boolean isToken() {
        return text != null && !(text.isEmpty() && finishReason != null);
    }
}
