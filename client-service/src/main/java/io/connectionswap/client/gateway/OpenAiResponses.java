package io.connectionswap.client.gateway;

import io.connectionswap.protocol.message.Usage;
import io.connectionswap.swapclient.GenerationEvent;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * OpenAI's wire objects: completion and chat-completion chunks and bodies, usage and error JSON. Each chunk may
 * carry an extra {@code x_connection_swap} object (which worker produced it, and a {@code swap} marker where the
 * generation moved): OpenAI clients ignore fields they do not know.
 */
final class OpenAiResponses {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final OpenAiRequest request;
    private final String id;
    private final long created;

    OpenAiResponses(OpenAiRequest request, String generationId, long createdEpochSeconds) {
        this.request = request;
        this.id = (request.chat() ? "chatcmpl-" : "cmpl-") + generationId;
        this.created = createdEpochSeconds;
    }

    /** One streamed chunk: {@code text} (null: no text field change), a finish reason or null, the worker, a swap. */
    ObjectNode chunk(String text, boolean role, String finishReason, String worker, Integer sequence,
                     GenerationEvent.Swapped swap) {
        ObjectNode chunk = header(request.chat() ? "chat.completion.chunk" : "text_completion");
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", 0);
        if (request.chat()) {
            ObjectNode delta = choice.putObject("delta");
            if (role) {
                delta.put("role", "assistant");
            }
            if (text != null) {
                delta.put("content", text);
            }
            choice.putNull("logprobs");
        } else {
            choice.put("text", text == null ? "" : text);
            choice.putNull("logprobs");
        }
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (request.includeUsage()) { // as OpenAI: every chunk but the usage chunk says "usage": null
            chunk.putNull("usage");
        }
        extension(chunk, worker, sequence, swap);
        return chunk;
    }

    /** The last chunk of a stream that asked for {@code stream_options.include_usage}. */
    ObjectNode usageChunk(Usage usage) {
        ObjectNode chunk = header(request.chat() ? "chat.completion.chunk" : "text_completion");
        chunk.putArray("choices");
        usage(chunk, usage);
        return chunk;
    }

    /** The whole answer of a {@code stream: false} request. */
    ObjectNode body(String text, String finishReason, Usage usage, java.util.List<String> workers,
                    java.util.List<GenerationEvent.Swapped> swaps) {
        ObjectNode body = header(request.chat() ? "chat.completion" : "text_completion");
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        if (request.chat()) {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", text);
        } else {
            choice.put("text", text);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        usage(body, usage);
        ObjectNode extension = body.putObject("x_connection_swap");
        workers.forEach(extension.putArray("workers")::add);
        var swapArray = extension.putArray("swaps");
        swaps.forEach(swap -> swapArray.add(swap(swap)));
        return body;
    }

    private ObjectNode header(String object) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", id);
        node.put("object", object);
        node.put("created", created);
        node.put("model", request.model());
        return node;
    }

    private static void usage(ObjectNode node, Usage usage) {
        ObjectNode out = node.putObject("usage");
        out.put("prompt_tokens", usage.promptTokens());
        out.put("completion_tokens", usage.completionTokens());
        out.put("total_tokens", usage.totalTokens());
    }

    private static void extension(ObjectNode chunk, String worker, Integer sequence, GenerationEvent.Swapped swap) {
        if (worker == null && swap == null) {
            return;
        }
        ObjectNode extension = chunk.putObject("x_connection_swap");
        if (worker != null) {
            extension.put("worker", worker);
        }
        if (sequence != null) {
            extension.put("sequence", sequence);
        }
        if (swap != null) {
            extension.set("swap", swap(swap));
        }
    }

    private static ObjectNode swap(GenerationEvent.Swapped swap) {
        ObjectNode node = JSON.createObjectNode();
        node.put("reason", swap.reason());
        node.put("from", swap.fromWorker());
        node.put("to", swap.toWorker());
        node.put("gap_ms", swap.gap().toMillis());
        node.put("after_sequence", swap.afterSequence());
        return node;
    }

    /** {@code {"error":{"message","type","param","code"}}}. */
    static ObjectNode error(GatewayError error) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode body = root.putObject("error");
        body.put("message", error.getMessage());
        body.put("type", error.type());
        if (error.param() == null) {
            body.putNull("param");
        } else {
            body.put("param", error.param());
        }
        body.put("code", error.code());
        return root;
    }
}
