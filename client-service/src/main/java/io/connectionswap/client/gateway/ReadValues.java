package io.connectionswap.client.gateway;

import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.message.SamplingParameters;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds, from the body's streaming parser, only what {@link OpenAiRequestParser} and {@link UnsupportedParameters}
 * read of a field's value; the rest is skipped ({@link JsonParser#skipChildren()}: its JSON checked, never built). A
 * value the checks refuse whatever it holds (an object where a string is read) stands as an empty object or array, and
 * an array or object is read element by element up to its first element that gets it refused. So a {@code [{},{},...]}
 * nested in a field the gateway reads costs no more heap than in a field it ignores (built whole: 30 bytes a byte).
 */
final class ReadValues {

    /**
     * Where {@link #read} puts the number of {@code stop} sequences when it keeps only the first
     * {@code MAX_STOP + 1} of them; no field of a body (the parser keeps only its known fields).
     */
    static final String STOP_COUNT = "\u0000stop sequences";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Of an object field, the members read (others skipped); every member read is a scalar or a stand-in. */
    private static final Map<String, Set<String>> MEMBERS = Map.of(
            "stream_options", Set.of("include_usage"),
            "response_format", Set.of("type"));
    private static final Set<String> MESSAGE_MEMBERS = Set.of("role", "content", "function_call");

    private ReadValues() {
    }

    /**
     * Field {@code name}'s value, whose first token ({@code value}) {@code json} is at, into {@code root}; {@code json}
     * is then at its last token.
     */
    static void read(JsonMapper mapper, JsonParser json, String name, JsonToken value, ObjectNode root) {
        if ("stop".equals(name)) {
            root.remove(STOP_COUNT); // a later "stop" replaces an earlier one, its count with it
        }
        JsonNode node = switch (name) {
            case "prompt" -> prompt(mapper, json, value);
            case "messages" -> messages(mapper, json, value);
            case "stop" -> stop(mapper, json, value, root);
            case "modalities" -> modalities(mapper, json, value);
            case "logit_bias" -> logitBias(mapper, json, value);
            default -> MEMBERS.containsKey(name) && value == JsonToken.START_OBJECT
                    ? members(mapper, json, MEMBERS.get(name)) : scalar(mapper, json, value);
        };
        root.set(name, node);
    }

    /** A scalar as itself; an object or array as an empty one (for a check that only asks its kind), skipped. */
    private static JsonNode scalar(JsonMapper mapper, JsonParser json, JsonToken value) {
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
            json.skipChildren();
            return value == JsonToken.START_OBJECT ? NODES.objectNode() : NODES.arrayNode();
        }
        JsonNode node = mapper.readTree(json);
        return node == null ? NODES.nullNode() : node;
    }

    /** An object's {@code read} members (each a scalar or a stand-in); other members skipped. */
    private static ObjectNode members(JsonMapper mapper, JsonParser json, Set<String> read) {
        ObjectNode object = NODES.objectNode();
        while (json.nextToken() == JsonToken.PROPERTY_NAME) {
            String member = json.currentName();
            JsonToken value = json.nextToken();
            if (read.contains(member)) {
                object.set(member, scalar(mapper, json, value));
            } else {
                json.skipChildren();
            }
        }
        return object;
    }

    /** A string, or an array of exactly one string; anything else an empty object (refused), skipped. */
    private static JsonNode prompt(JsonMapper mapper, JsonParser json, JsonToken value) {
        if (value != JsonToken.START_ARRAY) {
            return scalar(mapper, json, value);
        }
        JsonToken first = json.nextToken();
        if (first == JsonToken.VALUE_STRING) {
            JsonNode text = NODES.stringNode(json.getString());
            if (json.nextToken() == JsonToken.END_ARRAY) {
                return NODES.arrayNode().add(text);
            }
            json.skipChildren();
        } else if (first != JsonToken.END_ARRAY) {
            json.skipChildren();
        } else {
            return NODES.arrayNode();
        }
        skipRest(json);
        return NODES.objectNode();
    }

    /** Strings until the first other value (kept, the rest skipped) or past MAX_STOP, then only counted. */
    private static JsonNode stop(JsonMapper mapper, JsonParser json, JsonToken value, ObjectNode root) {
        if (value != JsonToken.START_ARRAY) {
            return scalar(mapper, json, value);
        }
        ArrayNode stop = NODES.arrayNode();
        int count = 0;
        for (JsonToken item = json.nextToken(); item != JsonToken.END_ARRAY; item = json.nextToken()) {
            if (item != JsonToken.VALUE_STRING) {
                stop.add(scalar(mapper, json, item));
                skipRest(json);
                return stop;
            }
            if (++count <= SamplingParameters.MAX_STOP + 1) {
                stop.add(json.getString());
            }
        }
        if (count > stop.size()) {
            root.put(STOP_COUNT, count);
        }
        return stop;
    }

    /** Only the first element that is not "text" (the rest skipped): "text" elements change nothing. */
    private static JsonNode modalities(JsonMapper mapper, JsonParser json, JsonToken value) {
        if (value != JsonToken.START_ARRAY) {
            return scalar(mapper, json, value);
        }
        ArrayNode modalities = NODES.arrayNode();
        for (JsonToken item = json.nextToken(); item != JsonToken.END_ARRAY; item = json.nextToken()) {
            if (item != JsonToken.VALUE_STRING || !"text".equals(json.getString())) {
                modalities.add(scalar(mapper, json, item));
                skipRest(json);
                break;
            }
        }
        return modalities;
    }

    /** Numbers until the first other value (kept, the rest skipped). */
    private static JsonNode logitBias(JsonMapper mapper, JsonParser json, JsonToken value) {
        if (value != JsonToken.START_OBJECT) {
            return scalar(mapper, json, value);
        }
        ObjectNode biases = NODES.objectNode();
        while (json.nextToken() == JsonToken.PROPERTY_NAME) {
            String token = json.currentName();
            JsonToken bias = json.nextToken();
            biases.set(token, scalar(mapper, json, bias));
            if (!bias.isNumeric()) {
                skipRest(json);
                break;
            }
        }
        return biases;
    }

    /** Message by message, up to the first one refused (kept, the rest skipped). */
    private static JsonNode messages(JsonMapper mapper, JsonParser json, JsonToken value) {
        if (value != JsonToken.START_ARRAY) {
            return scalar(mapper, json, value);
        }
        ArrayNode messages = NODES.arrayNode();
        for (JsonToken item = json.nextToken(); item != JsonToken.END_ARRAY; item = json.nextToken()) {
            JsonNode message = item == JsonToken.START_OBJECT ? message(mapper, json) : scalar(mapper, json, item);
            messages.add(message);
            if (refused(message)) {
                skipRest(json);
                break;
            }
        }
        return messages;
    }

    /** A message's role, content, function_call and tool_calls (empty or not); other members skipped. */
    private static ObjectNode message(JsonMapper mapper, JsonParser json) {
        ObjectNode message = NODES.objectNode();
        while (json.nextToken() == JsonToken.PROPERTY_NAME) {
            String member = json.currentName();
            JsonToken value = json.nextToken();
            if ("content".equals(member)) {
                message.set(member, content(mapper, json, value));
            } else if ("tool_calls".equals(member)) {
                message.set(member, emptyOrNot(json, value));
            } else if (MESSAGE_MEMBERS.contains(member)) {
                message.set(member, scalar(mapper, json, value));
            } else {
                json.skipChildren();
            }
        }
        return message;
    }

    /** A string, or parts up to the first that is not {"type":"text","text":string} (kept, the rest skipped). */
    private static JsonNode content(JsonMapper mapper, JsonParser json, JsonToken value) {
        if (value != JsonToken.START_ARRAY) {
            return scalar(mapper, json, value);
        }
        ArrayNode parts = NODES.arrayNode();
        for (JsonToken item = json.nextToken(); item != JsonToken.END_ARRAY; item = json.nextToken()) {
            JsonNode part = item == JsonToken.START_OBJECT ? members(mapper, json, Set.of("type", "text"))
                    : scalar(mapper, json, item);
            parts.add(part);
            if (!"text".equals(part.path("type").asString(null)) || !part.path("text").isString()) {
                skipRest(json);
                break;
            }
        }
        return parts;
    }

    /**
     * An array as an empty array or an array of one null; null as null; anything else as an empty object (what
     * {@link UnsupportedParameters} asks of {@code tools}, {@code functions}, a message's {@code tool_calls}).
     */
    static JsonNode emptyOrNot(JsonParser json, JsonToken value) {
        if (value == JsonToken.VALUE_NULL) {
            return NODES.nullNode();
        }
        if (value != JsonToken.START_ARRAY) {
            json.skipChildren();
            return NODES.objectNode();
        }
        if (json.nextToken() == JsonToken.END_ARRAY) {
            return NODES.arrayNode();
        }
        json.skipChildren();
        skipRest(json);
        return NODES.arrayNode().addNull();
    }

    /** Whether this message gets the request refused, so the messages after it need not be read. */
    private static boolean refused(JsonNode message) {
        if (!message.isObject() || !message.path("role").isString()
                || !ChatMessage.ROLES.contains(message.get("role").asString())) {
            return true;
        }
        JsonNode calls = message.path("tool_calls");
        JsonNode content = message.path("content");
        return !(calls.isMissingNode() || calls.isNull() || (calls.isArray() && calls.isEmpty()))
                || !(message.path("function_call").isMissingNode() || message.path("function_call").isNull())
                || !(content.isString() || content.isArray());
    }

    /** Skips the rest of the array or object {@code json} is in, to its last token. */
    private static void skipRest(JsonParser json) {
        for (JsonToken next = json.nextToken(); next != JsonToken.END_ARRAY && next != JsonToken.END_OBJECT;
                next = json.nextToken()) {
            if (next == JsonToken.PROPERTY_NAME) {
                json.nextToken();
            }
            json.skipChildren();
        }
    }
}
