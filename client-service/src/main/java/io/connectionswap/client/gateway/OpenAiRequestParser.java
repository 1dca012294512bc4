package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads and checks an OpenAI request body. Every problem is a 400 {@link GatewayError} naming the parameter, as
 * OpenAI does; a field asking for another answer than text is refused ({@link UnsupportedParameters}); other unknown
 * fields are ignored (clients send many): skipped by the streaming parser, never built into a tree, so they cost no heap
 * (a 4 MiB {@code [{},{},...]} built into JsonNodes took 30 bytes a byte); of the fields read, only the members used
 * are built ({@link ReadValues}).
 */
final class OpenAiRequestParser {

    /** Reads one value at a time from the body's parser ({@link #readFields} checks what follows the object). */
    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    /** The top-level fields read here or in {@link UnsupportedParameters}; any other is skipped unread. */
    private static final Set<String> READ = Set.of("model", "prompt", "messages", "n", "max_tokens",
            "max_completion_tokens", "temperature", "top_p", "frequency_penalty", "presence_penalty", "stop", "seed",
            "user", "stream", "stream_options", "logit_bias", "tool_choice", "function_call", "response_format",
            "logprobs", "top_logprobs", "echo", "best_of", "suffix", "audio", "modalities", "web_search_options",
            "continue_final_message", "add_generation_prompt");
    /** Fields of which only "empty array or not" matters ({@link UnsupportedParameters}): tool definitions can be long. */
    private static final Set<String> EMPTY_OR_NOT = Set.of("tools", "functions");

    private final int defaultMaxTokens;
    private final int maxTokensLimit;

    OpenAiRequestParser(int defaultMaxTokens, int maxTokensLimit) {
        this.defaultMaxTokens = defaultMaxTokens;
        this.maxTokensLimit = maxTokensLimit;
    }

    OpenAiRequest parse(byte[] body, boolean chat) {
        JsonNode root;
        try (JsonParser json = JSON.createParser(body)) {
            root = readFields(json);
        } catch (JacksonException e) {
            throw GatewayError.badRequest("invalid_json", null,
                    "We could not parse the JSON body of your request: " + jsonProblem(e));
        }
        String model = requiredText(root, "model");
        if (model.length() > GenerationRequest.MAX_MODEL_CHARS) { // the protocol's bound: the director would refuse it
            throw GatewayError.badRequest("invalid_value", "model", "'model' is longer than "
                    + GenerationRequest.MAX_MODEL_CHARS + " characters.");
        }
        if (!GenerationRequest.validModelName(model)) { // a control character: no worker registers such a name
            throw GatewayError.badRequest("invalid_value", "model", "'model' must be "
                    + GenerationRequest.MODEL_NAME_RULE + ".");
        }
        String prompt = chat ? null : prompt(root);
        List<ChatMessage> messages = chat ? messages(root) : null;
        if (root.has("n") && !root.get("n").isNull() && !(root.get("n").canConvertToInt() && root.get("n").asInt() == 1)) {
            throw GatewayError.badRequest("invalid_value", "n", "Only n=1 is supported.");
        }
        UnsupportedParameters.refuse(root, chat);
        int maxTokens = maxTokens(root);
        Double temperature = number(root, "temperature", 0, 2, true);
        Double topP = topP(root);
        Double frequencyPenalty = number(root, "frequency_penalty", -2, 2, true);
        Double presencePenalty = number(root, "presence_penalty", -2, 2, true);
        List<String> stop = stop(root);
        Long seed = null;
        if (present(root, "seed")) {
            JsonNode node = root.get("seed");
            if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                throw GatewayError.badRequest("invalid_type", "seed", "'seed' must be an integer.");
            }
            seed = node.asLong();
        }
        String user = null;
        if (present(root, "user")) {
            user = text(root, "user");
            if (user.length() > SamplingParameters.MAX_USER_CHARS) {
                throw GatewayError.badRequest("invalid_value", "user", "'user' is longer than "
                        + SamplingParameters.MAX_USER_CHARS + " characters.");
            }
        }
        boolean stream = flag(root.path("stream"), "stream");
        boolean includeUsage = includeUsage(root, stream);
        SamplingParameters sampling;
        try {
            sampling = new SamplingParameters(maxTokens, temperature, topP, stop, seed, user, frequencyPenalty,
                    presencePenalty, logitBias(root));
        } catch (IllegalArgumentException e) {
            throw GatewayError.badRequest("invalid_value", null, e.getMessage());
        }
        return new OpenAiRequest(chat, model, prompt, messages, sampling, stream, includeUsage);
    }

    /**
     * The body's top-level object with only the fields this parser reads ({@link #READ}), and of them only what is read
     * ({@link ReadValues}), built into nodes, and {@link #EMPTY_OR_NOT} as an empty array or a one-element stand-in;
     * every other value is scanned (its JSON checked), never built. The last of two same-named fields wins, as with a
     * tree.
     */
    private static ObjectNode readFields(JsonParser json) {
        JsonToken first = json.nextToken();
        if (first != JsonToken.START_OBJECT) {
            if (first != null) {
                json.skipChildren(); // a malformed value is still an invalid_json with its own message
            }
            throw GatewayError.badRequest("invalid_json", null, "The request body must be a JSON object.");
        }
        ObjectNode root = JSON.createObjectNode();
        while (json.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = json.currentName();
            JsonToken value = json.nextToken();
            if (READ.contains(name)) {
                ReadValues.read(JSON, json, name, value, root);
            } else if (EMPTY_OR_NOT.contains(name)) {
                root.set(name, ReadValues.emptyOrNot(json, value));
            } else {
                json.skipChildren();
            }
        }
        if (json.nextToken() != null) {
            throw GatewayError.badRequest("invalid_json", null,
                    "We could not parse the JSON body of your request: more content after the JSON object (line "
                            + json.currentLocation().getLineNr() + ", column " + json.currentLocation().getColumnNr()
                            + ")");
        }
        return root;
    }

    /**
     * {@code stream_options.include_usage}. The options are for a stream only: on a request that does not stream they
     * are refused, as OpenAI and vLLM refuse them, rather than dropped (null is absent).
     */
    private static boolean includeUsage(JsonNode root, boolean stream) {
        if (!present(root, "stream_options")) {
            return false;
        }
        JsonNode options = root.get("stream_options");
        if (!options.isObject()) {
            throw GatewayError.badRequest("invalid_type", "stream_options", "'stream_options' must be an object.");
        }
        if (!stream) {
            throw GatewayError.badRequest("invalid_value", "stream_options",
                    "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
        }
        return flag(options.path("include_usage"), "stream_options.include_usage");
    }

    /** {@code logit_bias}: token ids to biases, passed to the model; its values are checked by SamplingParameters. */
    private static Map<String, Double> logitBias(JsonNode root) {
        if (!present(root, "logit_bias")) {
            return null;
        }
        JsonNode node = root.get("logit_bias");
        if (!node.isObject()) {
            throw GatewayError.badRequest("invalid_type", "logit_bias", "'logit_bias' must be an object of token ids "
                    + "to numbers.");
        }
        Map<String, Double> biases = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!entry.getValue().isNumber()) {
                throw GatewayError.badRequest("invalid_type", "logit_bias", "'logit_bias' values must be numbers "
                        + "(token " + LogLine.printable(entry.getKey(), 40) + ").");
            }
            biases.put(entry.getKey(), entry.getValue().asDouble());
        }
        return biases;
    }

    /**
     * What is wrong with the JSON and where, without the parser's internals (its "start marker at [Source:
     * REDACTED ...]" notes).
     */
    private static String jsonProblem(JacksonException e) {
        String problem = e.getOriginalMessage();
        int internals = problem.indexOf(" (start marker at");
        if (internals >= 0) {
            problem = problem.substring(0, internals);
        }
        TokenStreamLocation where = e.getLocation();
        if (where != null && where.getLineNr() > 0) {
            problem += " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
        }
        return problem;
    }

    private int maxTokens(JsonNode root) {
        // max_completion_tokens is the chat API's newer name; accepted on completions too, for a client that uses
        // one name for both endpoints
        String field = present(root, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        if (!present(root, field)) {
            return defaultMaxTokens;
        }
        JsonNode node = root.get(field);
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw GatewayError.badRequest("invalid_type", field, "'" + field + "' must be an integer.");
        }
        int value = node.asInt();
        if (value < 1 || value > maxTokensLimit) {
            throw GatewayError.badRequest("invalid_value", field, "'" + field + "' is " + value
                    + " (expected: 1 to " + maxTokensLimit + ").");
        }
        return value;
    }

    private static String prompt(JsonNode root) {
        if (!present(root, "prompt")) {
            throw GatewayError.badRequest("missing_required_parameter", "prompt", "Missing required parameter: 'prompt'.");
        }
        JsonNode node = root.get("prompt");
        if (node.isString()) {
            return node.asString();
        }
        if (node.isArray() && node.size() == 1 && node.get(0).isString()) {
            return node.get(0).asString();
        }
        throw GatewayError.badRequest("invalid_type", "prompt",
                "'prompt' must be a string (or an array of one string; token arrays and batches are not supported).");
    }

    private static List<ChatMessage> messages(JsonNode root) {
        if (!present(root, "messages")) {
            throw GatewayError.badRequest("missing_required_parameter", "messages",
                    "Missing required parameter: 'messages'.");
        }
        JsonNode node = root.get("messages");
        if (!node.isArray() || node.isEmpty()) {
            throw GatewayError.badRequest("invalid_value", "messages", "'messages' must be a non-empty array.");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode message = node.get(i);
            String param = "messages[" + i + "]";
            if (!message.isObject()) {
                throw GatewayError.badRequest("invalid_type", param, "'" + param + "' must be an object.");
            }
            String role = message.path("role").isString() ? message.get("role").asString() : null;
            if (role == null || !ChatMessage.ROLES.contains(role)) {
                throw GatewayError.badRequest("invalid_value", param + ".role", "'" + param
                        + ".role' must be one of system, developer, user, assistant, tool.");
            }
            UnsupportedParameters.refuseInMessage(message, param);
            messages.add(new ChatMessage(role, content(message.path("content"), param + ".content")));
        }
        return messages;
    }

    /** A string, or an array of {@code {"type":"text","text":...}} parts joined. */
    private static String content(JsonNode node, String param) {
        if (node.isString()) {
            return node.asString();
        }
        if (node.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : node) {
                if (!"text".equals(part.path("type").asString(null)) || !part.path("text").isString()) {
                    throw GatewayError.badRequest("invalid_value", param,
                            "'" + param + "' parts must be {\"type\":\"text\",\"text\":...}; other parts are not supported.");
                }
                text.append(part.get("text").asString());
            }
            return text.toString();
        }
        throw GatewayError.badRequest("invalid_type", param, "'" + param + "' must be a string or an array of text parts.");
    }

    private static List<String> stop(JsonNode root) {
        if (!present(root, "stop")) {
            return null;
        }
        JsonNode node = root.get("stop");
        List<String> stop = new ArrayList<>();
        if (node.isString()) {
            stop.add(node.asString());
        } else if (node.isArray()) {
            for (JsonNode item : node) {
                if (!item.isString()) {
                    throw GatewayError.badRequest("invalid_type", "stop", "'stop' must be a string or an array of strings.");
                }
                stop.add(item.asString());
            }
        } else {
            throw GatewayError.badRequest("invalid_type", "stop", "'stop' must be a string or an array of strings.");
        }
        // past MAX_STOP + 1 sequences only their number is kept
        int count = root.has(ReadValues.STOP_COUNT) ? root.get(ReadValues.STOP_COUNT).asInt() : stop.size();
        if (count > SamplingParameters.MAX_STOP) {
            throw GatewayError.badRequest("invalid_value", "stop", "'stop' has " + count
                    + " sequences (expected: at most " + SamplingParameters.MAX_STOP + ").");
        }
        for (String sequence : stop) {
            if (sequence.isEmpty() || sequence.length() > SamplingParameters.MAX_STOP_CHARS) {
                throw GatewayError.badRequest("invalid_value", "stop", "each 'stop' sequence must have 1 to "
                        + SamplingParameters.MAX_STOP_CHARS + " characters.");
            }
        }
        return stop.isEmpty() ? null : stop;
    }

    /**
     * {@code top_p}: above 0, at most 1. OpenAI takes 0 too (the most likely token only), but vLLM and other servers
     * behind a worker refuse it, so it is refused here, at once and with the way to ask for it.
     */
    private static Double topP(JsonNode root) {
        if (present(root, "top_p") && root.get("top_p").isNumber() && root.get("top_p").asDouble() == 0) {
            throw GatewayError.badRequest("invalid_value", "top_p", "'top_p' is 0 (expected: above 0, at most 1); "
                    + "for the most likely token only, send 'temperature': 0.");
        }
        return number(root, "top_p", 0, 1, false);
    }

    private static Double number(JsonNode root, String field, double min, double max, boolean minInclusive) {
        if (!present(root, field)) {
            return null;
        }
        JsonNode node = root.get(field);
        if (!node.isNumber()) {
            throw GatewayError.badRequest("invalid_type", field, "'" + field + "' must be a number.");
        }
        double value = node.asDouble();
        boolean aboveMin = minInclusive ? value >= min : value > min;
        if (!aboveMin || value > max || Double.isNaN(value)) {
            throw GatewayError.badRequest("invalid_value", field, "'" + field + "' is " + value + " (expected: "
                    + (minInclusive ? min + " to " : "above " + min + ", at most ") + max + ").");
        }
        return value;
    }

    private static String requiredText(JsonNode root, String field) {
        if (!present(root, field)) {
            throw GatewayError.badRequest("missing_required_parameter", field, "Missing required parameter: '" + field + "'.");
        }
        String value = text(root, field);
        if (value.isBlank()) {
            throw GatewayError.badRequest("invalid_value", field, "'" + field + "' must not be empty.");
        }
        return value;
    }

    private static String text(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (!node.isString()) {
            throw GatewayError.badRequest("invalid_type", field, "'" + field + "' must be a string.");
        }
        return node.asString();
    }

    /** An optional boolean: false when absent or null, a 400 naming {@code param} when of another type. */
    private static boolean flag(JsonNode node, String param) {
        if (node.isMissingNode() || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw GatewayError.badRequest("invalid_type", param, "'" + param + "' must be a boolean.");
        }
        return node.asBoolean();
    }

    private static boolean present(JsonNode root, String field) {
        return root.has(field) && !root.get(field).isNull();
    }
}
