package io.connectionswap.client.gateway;

import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Refuses, with 400 {@code unsupported_parameter} naming it, a request field that asks for another kind of answer
 * than generated text: tool calls, a response format, log probabilities, an echoed prompt, several candidates, a
 * suffix, audio, a web search. The gateway relays text tokens only, so a client that asked for one of these would otherwise read a
 * plain text answer as if its request had been honoured. Each field counts only when set to ask for something: a
 * client sending its default ({@code "tools": []}, {@code "logprobs": false}, {@code "response_format":
 * {"type":"text"}}, {@code "best_of": 1}, {@code "modalities": ["text"]}) is served, and so are {@code tools} with
 * {@code "tool_choice": "none"} (no call may come; the tools' definitions are not passed on). vLLM's chat extensions
 * {@code "continue_final_message": true} and {@code "add_generation_prompt": false} (an assistant prefill) are refused
 * too. Other unknown fields are ignored.
 */
final class UnsupportedParameters {

    private static final Set<String> TOOL_CHOICES_WITHOUT_A_CALL = Set.of("none", "auto");

    private UnsupportedParameters() {
    }

    /** Throws the 400 for the first such field of {@code root}, if any. */
    static void refuse(JsonNode root, boolean chat) {
        // with tool_choice "none" no call may come: the message is generated, the tools' definitions are not passed on
        refuseIf(nonEmptyArray(root.path("tools")) && !"none".equals(root.path("tool_choice").asString("")), "tools",
                "tool calls are not relayed");
        refuseIf(nonEmptyArray(root.path("functions")), "functions", "function calls are not relayed");
        refuseIf(askedForACall(root.path("tool_choice")), "tool_choice", "tool calls are not relayed");
        refuseIf(askedForACall(root.path("function_call")), "function_call", "function calls are not relayed");
        JsonNode format = root.path("response_format");
        refuseIf(present(format) && !"text".equals(format.path("type").asString("")), "response_format",
                "only the text format is served; a JSON mode or schema is not enforced");
        JsonNode logprobs = root.path("logprobs");
        // /v1/completions: any number asks for them, 0 too (the sampled tokens' own log probabilities)
        refuseIf(chat ? logprobs.asBoolean(false) : logprobs.isNumber(), "logprobs",
                "log probabilities are not relayed");
        refuseIf(root.path("top_logprobs").asInt(0) > 0, "top_logprobs", "log probabilities are not relayed");
        refuseIf(root.path("echo").asBoolean(false), "echo", "the prompt is not echoed");
        refuseIf(root.path("best_of").asInt(1) > 1, "best_of", "one candidate is generated per request");
        refuseIf(!root.path("suffix").asString("").isEmpty(), "suffix", "insertion after a suffix is not served");
        refuseIf(present(root.path("audio")), "audio", "audio output is not served");
        JsonNode modalities = root.path("modalities");
        refuseIf(modalities.isArray() && modalities.valueStream().anyMatch(mode -> !"text".equals(mode.asString(""))),
                "modalities", "only text output is served");
        // any object asks for a search ({} included: OpenAI's defaults then); the model would answer unsearched
        refuseIf(present(root.path("web_search_options")), "web_search_options", "web search is not served");
        // vLLM's and SGLang's prefill: every chat format closes the last message and opens a new assistant turn, so
        // the model would answer anew after the prefix instead of continuing it
        refuseIf(chat && root.path("continue_final_message").asBoolean(false), "continue_final_message",
                "the last message is not continued: a new assistant turn is opened after it");
        refuseIf(chat && !root.path("add_generation_prompt").asBoolean(true), "add_generation_prompt",
                "the assistant turn's opening is always added");
    }

    /**
     * Throws the 400 when chat message {@code message} ({@code param}, e.g. {@code messages[2]}) is an assistant's
     * tool or function call: a conversation held with tools elsewhere. Its calls have no text a model could be shown
     * here, and the {@code null} content beside them is not a missing text.
     */
    static void refuseInMessage(JsonNode message, String param) {
        refuseIf(nonEmptyArray(message.path("tool_calls")), param + ".tool_calls",
                "tool calls in the conversation are not relayed");
        refuseIf(present(message.path("function_call")), param + ".function_call",
                "function calls in the conversation are not relayed");
    }

    private static void refuseIf(boolean unsupported, String param, String why) {
        if (unsupported) {
            throw GatewayError.badRequest("unsupported_parameter", param,
                    "Unsupported parameter: '" + param + "': " + why + " (the gateway streams generated text only).");
        }
    }

    private static boolean askedForACall(JsonNode choice) {
        return present(choice) && !(choice.isString() && TOOL_CHOICES_WITHOUT_A_CALL.contains(choice.asString()));
    }

    private static boolean nonEmptyArray(JsonNode node) {
        return present(node) && !(node.isArray() && node.isEmpty());
    }

    private static boolean present(JsonNode node) {
        return !node.isMissingNode() && !node.isNull();
    }
}
