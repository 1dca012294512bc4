package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.swapclient.GenerationEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;

class OpenAiRequestParserTest {

    private final OpenAiRequestParser parser = new OpenAiRequestParser(16, 1000);

    private OpenAiRequest parse(String json, boolean chat) {
        return parser.parse(json.getBytes(StandardCharsets.UTF_8), chat);
    }

    private static void rejected(Runnable parse, String code, String param) {
        assertThatThrownBy(parse::run).isInstanceOfSatisfying(GatewayError.class, error -> {
            assertThat(error.status()).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(error.code()).isEqualTo(code);
            assertThat(error.param()).isEqualTo(param);
        });
    }

    @Test
    void aCompletionWithEverySamplingParameterPassesThemThrough() {
        OpenAiRequest request = parse("{\"model\":\"stand-in\",\"prompt\":[\"hi\"],\"max_tokens\":7,\"temperature\":0.5,"
                + "\"top_p\":0.9,\"stop\":\"\\n\",\"seed\":42,\"user\":\"u-1\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"logprobs\":null,\"n\":1,\"frequency_penalty\":0.5,"
                + "\"presence_penalty\":-2,\"logit_bias\":{\"50256\":-100,\"7\":2.5}}", false);

        GenerationRequest generation = request.toGeneration("g-1");
        assertThat(generation.model()).isEqualTo("stand-in");
        assertThat(generation.prompt()).isEqualTo("hi");
        assertThat(generation.sampling().maxTokens()).isEqualTo(7);
        assertThat(generation.sampling().temperature()).isEqualTo(0.5);
        assertThat(generation.sampling().topP()).isEqualTo(0.9);
        assertThat(generation.sampling().stop()).containsExactly("\n");
        assertThat(generation.sampling().seed()).isEqualTo(42L);
        assertThat(generation.sampling().user()).isEqualTo("u-1");
        assertThat(generation.sampling().frequencyPenalty()).isEqualTo(0.5);
        assertThat(generation.sampling().presencePenalty()).isEqualTo(-2.0);
        assertThat(generation.sampling().logitBias()).containsExactly(entry("50256", -100.0), entry("7", 2.5));
        assertThat(request.stream()).isTrue();
        assertThat(request.includeUsage()).isTrue();
    }

    @Test
    void aChatTakesStringAndTextPartContentAndMaxCompletionTokens() {
        OpenAiRequest request = parse("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"Be terse.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hel\"},{\"type\":\"text\",\"text\":\"lo\"}]}],"
                + "\"max_completion_tokens\":9}", true);

        assertThat(request.messages()).containsExactly(new ChatMessage("system", "Be terse."),
                new ChatMessage("user", "Hello"));
        assertThat(request.sampling().maxTokens()).isEqualTo(9);
        assertThat(request.stream()).isFalse();
    }

    @Test
    void aChatWithToolResultsButNoCallsIsServedAsText() {
        OpenAiRequest request = parse("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":\"Hi\","
                + "\"tool_calls\":[]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"42\"}]}", true);

        assertThat(request.messages()).containsExactly(new ChatMessage("assistant", "Hi"), new ChatMessage("tool", "42"));
    }

    @Test
    void missingMaxTokensTakesTheDefault() {
        assertThat(parse("{\"model\":\"m\",\"prompt\":\"p\"}", false).sampling().maxTokens()).isEqualTo(16);
    }

    @Test
    void badRequestsNameTheParameter() {
        rejected(() -> parse("{\"model\":", false), "invalid_json", null);
        rejected(() -> parse("\"text\"", false), "invalid_json", null);
        // what the streaming read skips is still checked as JSON, and nothing may follow the object
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"x_vendor\":[{},}", false), "invalid_json", null);
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\"} {}", false), "invalid_json", null);
        rejected(() -> parse("[{\"model\":\"m\"}]", false), "invalid_json", null);
        rejected(() -> parse("{\"prompt\":\"p\"}", false), "missing_required_parameter", "model");
        rejected(() -> parse("{\"model\":\"m\"}", false), "missing_required_parameter", "prompt");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":[1,2]}", false), "invalid_type", "prompt");
        rejected(() -> parse("{\"model\":\"m\"}", true), "missing_required_parameter", "messages");
        rejected(() -> parse("{\"model\":\"m\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", true),
                "invalid_value", "messages[0].role");
        rejected(() -> parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":"
                + "\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"f\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"1\"}]}",
                true), "unsupported_parameter", "messages[1].tool_calls");
        rejected(() -> parse("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,"
                + "\"function_call\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}", true), "unsupported_parameter",
                "messages[0].function_call");
        rejected(() -> parse("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null}]}", true),
                "invalid_type", "messages[0].content");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"max_tokens\":1001}", false), "invalid_value", "max_tokens");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"max_tokens\":2.5}", false), "invalid_type", "max_tokens");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"temperature\":-0.1}", false), "invalid_value", "temperature");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"top_p\":1.5}", false), "invalid_value", "top_p");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"top_p\":0}", false), "invalid_value", "top_p");
        assertThatThrownBy(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"top_p\":0.0}", false))
                .as("what to send instead").hasMessageContaining("send 'temperature': 0");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"frequency_penalty\":2.5}", false), "invalid_value",
                "frequency_penalty");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"presence_penalty\":\"high\"}", false), "invalid_type",
                "presence_penalty");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"stop\":[\"\"]}", false), "invalid_value", "stop");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"seed\":\"x\"}", false), "invalid_type", "seed");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"n\":2}", false), "invalid_value", "n");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"stream\":\"yes\"}", false), "invalid_type", "stream");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"stream\":true,\"stream_options\":"
                + "{\"include_usage\":\"yes\"}}", false), "invalid_type", "stream_options.include_usage");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"max_completion_tokens\":0}", false), "invalid_value",
                "max_completion_tokens");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"logit_bias\":[1]}", false), "invalid_type", "logit_bias");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"logit_bias\":{\"1\":\"x\"}}", false), "invalid_type",
                "logit_bias");
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"logit_bias\":{\"1\":101}}", false), "invalid_value",
                null);
        rejected(() -> parse("{\"model\":\"m\",\"prompt\":\"p\",\"logit_bias\":{\"the\":1}}", false), "invalid_value",
                null);
    }

    /**
     * A model name of any length was passed on: the gateway sent a request of megabytes of model name to the director
     * (which refuses a name over GenerationRequest.MAX_MODEL_CHARS as a malformed GENERATE). Now the gateway answers
     * 400 invalid_value for the model at once, saying the bound and not quoting the name; a name of exactly that
     * length is a model name as any other.
     */
    @Test
    void aModelNameOverTheProtocolBoundIsAnInvalidValue() {
        String longest = "m".repeat(GenerationRequest.MAX_MODEL_CHARS);
        assertThat(parse("{\"model\":\"" + longest + "\",\"prompt\":\"p\"}", false).model()).isEqualTo(longest);
        for (boolean chat : List.of(false, true)) {
            String body = "{\"model\":\"" + longest + "m\"," + (chat
                    ? "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}" : "\"prompt\":\"p\"}");
            rejected(() -> parse(body, chat), "invalid_value", "model");
            assertThatThrownBy(() -> parse(body, chat)).hasMessage("'model' is longer than "
                    + GenerationRequest.MAX_MODEL_CHARS + " characters.");
        }
    }

    /**
     * A model name with a control character (a line break, a NUL, an ESC, a C1 control) passed the gateway's length
     * check into a GENERATE, which no worker can serve (no worker registers such a name). Now it is a 400
     * invalid_value for the model as an over-long one is, saying what a model name is; a name with spaces, slashes or
     * letters beyond ASCII is a model name as any other.
     */
    @Test
    void aModelNameWithAControlCharacterIsAnInvalidValue() {
        // JSON string contents
        for (String model : List.of("stand-in\\n", "stand-in\\u0000", "\\u001b[2Jstand-in", "stand\\tin",
                "stand-in\\u0085")) {
            for (boolean chat : List.of(false, true)) {
                String body = "{\"model\":\"" + model + "\"," + (chat
                        ? "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}" : "\"prompt\":\"p\"}");
                rejected(() -> parse(body, chat), "invalid_value", "model");
                assertThatThrownBy(() -> parse(body, chat)).hasMessage("'model' must be 1 to "
                        + GenerationRequest.MAX_MODEL_CHARS + " printable characters.");
            }
        }
        assertThat(parse("{\"model\":\"org/a model ünï\",\"prompt\":\"p\"}", false).model())
                .isEqualTo("org/a model ünï");
    }

    /**
     * {@code stream_options} on a request that did not stream was accepted and dropped; OpenAI and vLLM answer 400
     * for it, so a client that meant to stream learned nothing. It was also taken as absent when not an object.
     */
    @Test
    void streamOptionsWithoutAStreamAreRefusedOnBothEndpoints() {
        String chat = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";
        String completion = "{\"model\":\"m\",\"prompt\":\"p\"";
        for (String stream : List.of("", ",\"stream\":false", ",\"stream\":null")) {
            for (String options : List.of("{\"include_usage\":true}", "{\"include_usage\":false}", "{}")) {
                String tail = stream + ",\"stream_options\":" + options + "}";
                rejected(() -> parse(chat + tail, true), "invalid_value", "stream_options");
                rejected(() -> parse(completion + tail, false), "invalid_value", "stream_options");
                assertThatThrownBy(() -> parse(completion + tail, false)).hasMessage(
                        "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
            }
        }
        rejected(() -> parse(completion + ",\"stream\":true,\"stream_options\":true}", false), "invalid_type",
                "stream_options");
        assertThat(parse(completion + ",\"stream\":false,\"stream_options\":null}", false).includeUsage())
                .as("null is absent").isFalse();
        assertThat(parse(chat + ",\"stream\":true,\"stream_options\":{}}", true).includeUsage()).isFalse();
    }

    @Test
    void maxCompletionTokensCountsOnCompletionsToo() {
        assertThat(parse("{\"model\":\"m\",\"prompt\":\"p\",\"max_completion_tokens\":3}", false).sampling().maxTokens())
                .isEqualTo(3);
    }

    @Test
    void malformedJsonIsDescribedWithItsPlaceNotTheParsersInternals() {
        assertThatThrownBy(() -> parse("{\"model\":\"stand-in\",\"prompt\":\"x\"", false))
                .hasMessageStartingWith("We could not parse the JSON body of your request: Unexpected end-of-input")
                .hasMessageContaining("(line 1, column ")
                .hasMessageNotContaining("Source").hasMessageNotContaining("REDACTED");
    }

    @Test
    void aFieldAskingForAnotherAnswerThanTextIsRefusedByName() {
        String chat = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],";
        String completion = "{\"model\":\"m\",\"prompt\":\"p\",";
        for (String[] refused : new String[][] {
                {chat + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}", "tools"},
                {chat + "\"functions\":[{\"name\":\"f\"}]}", "functions"},
                {chat + "\"tool_choice\":\"required\"}", "tool_choice"},
                {chat + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}}", "tool_choice"},
                {chat + "\"function_call\":{\"name\":\"f\"}}", "function_call"},
                {chat + "\"response_format\":{\"type\":\"json_object\"}}", "response_format"},
                {chat + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{}}}", "response_format"},
                {chat + "\"logprobs\":true}", "logprobs"},
                {chat + "\"top_logprobs\":3}", "top_logprobs"},
                {chat + "\"audio\":{\"voice\":\"alloy\",\"format\":\"wav\"}}", "audio"},
                {chat + "\"modalities\":[\"text\",\"audio\"]}", "modalities"},
                {chat + "\"web_search_options\":{}}", "web_search_options"},
                {chat + "\"web_search_options\":{\"search_context_size\":\"low\"}}", "web_search_options"},
                {completion + "\"logprobs\":2}", "logprobs"},
                {completion + "\"logprobs\":0}", "logprobs"},
                {completion + "\"echo\":true}", "echo"},
                {completion + "\"best_of\":3}", "best_of"},
                {completion + "\"suffix\":\"end\"}", "suffix"}}) {
            boolean isChat = refused[0].startsWith(chat);
            rejected(() -> parse(refused[0], isChat), "unsupported_parameter", refused[1]);
            assertThatThrownBy(() -> parse(refused[0], isChat)).hasMessageStartingWith(
                    "Unsupported parameter: '" + refused[1] + "': ").hasMessageEndingWith("generated text only).");
        }
    }

    @Test
    void aClientSendingTheDefaultsOfThoseFieldsIsServed() {
        String chat = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"tools\":[],\"tool_choice\":\"none\",\"function_call\":\"auto\",\"functions\":null,"
                + "\"response_format\":{\"type\":\"text\"},\"logprobs\":false,\"top_logprobs\":0,"
                + "\"audio\":null,\"modalities\":[\"text\"],\"frequency_penalty\":0.5,\"presence_penalty\":0.2,"
                + "\"logit_bias\":{\"50256\":-100},\"parallel_tool_calls\":true,\"web_search_options\":null,"
                + "\"user\":\"u\",\"metadata\":{\"k\":\"v\"},\"store\":false,\"service_tier\":\"auto\","
                + "\"prediction\":{\"type\":\"content\",\"content\":\"x\"},\"reasoning_effort\":\"low\","
                + "\"verbosity\":\"low\",\"prompt_cache_key\":\"k\",\"safety_identifier\":\"s\","
                + "\"stream\":true,\"stream_options\":{\"include_usage\":false,\"include_obfuscation\":false}}";
        assertThat(parse(chat, true).messages()).hasSize(1);
        String completion = "{\"model\":\"m\",\"prompt\":\"p\",\"logprobs\":null,\"echo\":false,\"best_of\":1,"
                + "\"suffix\":\"\"}";
        assertThat(parse(completion, false).prompt()).isEqualTo("p");
        String toolsNeverCalled = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":\"none\"}";
        assertThat(parse(toolsNeverCalled, true).messages()).hasSize(1);
    }

    @Test
    void chunksCarryTheExactTextAndTheSwapOnTheFirstChunkAfterIt() {
        OpenAiRequest request = parse("{\"model\":\"stand-in\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}", true);
        ChunkWriter writer = new ChunkWriter(request, new OpenAiResponses(request, "g-1", 1));
        List<String> out = new java.util.ArrayList<>();
        out.addAll(writer.sse(new GenerationEvent.Assigned("worker-a", "conn-1", 1, "stand-in", 0)));
        out.addAll(writer.sse(new GenerationEvent.Token(1, "one", "worker-a")));
        out.addAll(writer.sse(new GenerationEvent.Assigned("worker-b", "conn-1", 2, "stand-in", 1)));
        out.addAll(writer.sse(new GenerationEvent.Swapped("health", "worker-a", "worker-b", Duration.ofMillis(250), 1)));
        out.addAll(writer.sse(new GenerationEvent.Token(2, " two", "worker-b")));
        out.addAll(writer.sse(new GenerationEvent.Completed("length", new Usage(1, 2), 2, 0)));

        List<JsonNode> chunks = out.stream().map(OpenAiResponses.JSON::readTree).toList();
        assertThat(chunks).hasSize(5); // role, one, two (with the swap), finish, usage
        assertThat(chunks.get(0).path("choices").path(0).path("delta").path("role").asString()).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        chunks.forEach(chunk -> text.append(chunk.path("choices").path(0).path("delta").path("content").asString("")));
        assertThat(text.toString()).isEqualTo("one two");
        JsonNode swap = chunks.get(2).path("x_connection_swap").path("swap");
        assertThat(swap.path("from").asString()).isEqualTo("worker-a");
        assertThat(swap.path("to").asString()).isEqualTo("worker-b");
        assertThat(swap.path("gap_ms").asLong()).isEqualTo(250);
        assertThat(chunks.get(1).has("x_connection_swap") && chunks.get(1).path("x_connection_swap").has("swap")).isFalse();
        assertThat(chunks.get(3).path("choices").path(0).path("finish_reason").asString()).isEqualTo("length");
        assertThat(chunks.get(4).path("usage").path("total_tokens").asInt()).isEqualTo(3);
        assertThat(chunks.get(4).path("choices")).isEmpty();
    }

    @Test
    void aStreamThatDidNotAskForUsageEndsWithItsFinishChunkAndNoUsage() {
        for (String options : List.of("", ",\"stream_options\":null", ",\"stream_options\":{\"include_usage\":false}")) {
            OpenAiRequest request = parse("{\"model\":\"stand-in\",\"prompt\":\"x\",\"stream\":true" + options + "}",
                    false);
            ChunkWriter writer = new ChunkWriter(request, new OpenAiResponses(request, "g-1", 1));
            List<String> out = new java.util.ArrayList<>();
            out.addAll(writer.sse(new GenerationEvent.Assigned("worker-a", "conn-1", 1, "stand-in", 0)));
            out.addAll(writer.sse(new GenerationEvent.Token(1, "one", "worker-a")));
            out.addAll(writer.sse(new GenerationEvent.Completed("stop", new Usage(1, 1), 1, 0)));

            List<JsonNode> chunks = out.stream().map(OpenAiResponses.JSON::readTree).toList();
            assertThat(chunks).as("one, finish: %s", options).hasSize(2);
            assertThat(chunks).as("no usage anywhere: %s", options).noneMatch(chunk -> chunk.has("usage"));
            assertThat(chunks.get(1).path("choices").path(0).path("finish_reason").asString()).isEqualTo("stop");
        }
    }

    /**
     * The parser reads the whole body into a tree (JsonMapper.readTree) before it looks at the fields it knows, so a
     * value it ignores costs as much as any: a 4 MiB body (CONNECTION_SWAP_MAX_REQUEST_BYTES) whose unknown field holds
     * [{},{},...] builds 1.4 million ObjectNodes, about 30 bytes of heap for every byte of body, all live at once and
     * built on the HTTP event loop that read the body (every stream of that loop waits meanwhile). Two such requests
     * at once on the image's 179 MiB heap (docker/README.md) end the gateway (-XX:+ExitOnOutOfMemoryError) with every
     * stream it serves. What the gateway ignores must cost no more than a prompt of the same size.
     */
    @Test
    void aValueTheGatewayIgnoresCostsNoMoreThanAPromptOfTheSameSize() {
        int size = (int) GatewayOnSpringsRouter.PROPERTIES.maxRequestSize().toBytes() - 16;
        StringBuilder prompt = new StringBuilder("{\"model\":\"m\",\"prompt\":\"");
        prompt.append("a".repeat(size - prompt.length() - 2)).append("\"}");
        StringBuilder ignored = new StringBuilder("{\"model\":\"m\",\"prompt\":\"a\",\"x_vendor_extension\":[");
        while (ignored.length() < size - 3) {
            ignored.append("{},");
        }
        ignored.append("0]}");

        long promptBytes = allocatedWhileParsing(prompt.toString(), false);
        long ignoredBytes = allocatedWhileParsing(ignored.toString(), false);

        assertThat(ignoredBytes).as("heap allocated to parse a %d KiB body whose ignored field holds [{},{},...]: %d MiB "
                        + "(a prompt of the same size: %d MiB)", size / 1024, ignoredBytes >> 20, promptBytes >> 20)
                .isLessThanOrEqualTo(2 * promptBytes);
    }

    /**
     * Only top-level fields the gateway does not know are skipped; a field it reads is still built whole with
     * JsonMapper.readTree before it is looked at, whatever it holds: an ignored member nested in one it reads
     * ({@code stream_options}, {@code response_format}: both served) or a value it refuses only after building it
     * ({@code "prompt": [{},{},...]}, a 400). Each of these 4 MiB bodies builds the same 1.4 million ObjectNodes as
     * the top-level case above, and two at once still end the gateway on the image's 179 MiB heap.
     */
    @Test
    void aValueTheGatewayIgnoresOrRefusesInsideAFieldItReadsCostsNoMoreThanAPromptOfTheSameSize() {
        int size = (int) GatewayOnSpringsRouter.PROPERTIES.maxRequestSize().toBytes() - 16;
        StringBuilder prompt = new StringBuilder("{\"model\":\"m\",\"prompt\":\"");
        prompt.append("a".repeat(size - prompt.length() - 2)).append("\"}");
        long promptBytes = allocatedWhileParsing(prompt.toString(), false);
        java.util.Map<String, Long> costs = new java.util.LinkedHashMap<>();
        String chat = "\"messages\":[{\"role\":\"user\",\"content\":\"a\"";
        for (String[] place : new String[][] {
                {"\"prompt\":[", "0]}"},
                {"\"prompt\":\"a\",\"stream\":true,\"stream_options\":{\"include_usage\":true,\"x_vendor\":[", "0]}}"},
                {"\"prompt\":\"a\",\"response_format\":{\"type\":\"text\",\"x_vendor\":[", "0]}}"},
                {"\"prompt\":\"a\",\"tool_choice\":{\"x_vendor\":[", "0]}}"},
                {"\"prompt\":\"a\",\"function_call\":[", "0]}"},
                {"\"prompt\":\"a\",\"audio\":{\"x_vendor\":[", "0]}}"},
                {"\"prompt\":\"a\",\"web_search_options\":{\"x_vendor\":[", "0]}}"},
                {"\"prompt\":\"a\",\"n\":[", "0]}"},
                {"\"prompt\":\"a\",\"stop\":[", "0]}"},
                {"\"prompt\":\"a\",\"modalities\":[", "0]}"},
                {"\"prompt\":\"a\",\"logit_bias\":{\"1\":[", "0]}}"},
                {"chat:\"messages\":[", "0]}"},
                {"chat:" + chat + ",\"x_vendor\":[", "0]}]}"},
                {"chat:" + chat + "},", "0]}"},
                {"chat:\"messages\":[{\"role\":\"user\",\"content\":[", "0]}]}"},
                {"chat:" + chat + ",\"tool_calls\":[", "0]}]}"}}) {
            boolean chatBody = place[0].startsWith("chat:");
            String start = chatBody ? place[0].substring("chat:".length()) : place[0];
            StringBuilder body = new StringBuilder("{\"model\":\"m\",").append(start);
            while (body.length() < size - place[1].length()) {
                body.append("{},");
            }
            body.append(place[1]);
            costs.put(place[0], allocatedWhileParsing(body.toString(), chatBody) >> 20);
        }

        assertThat(costs.values()).as("MiB of heap allocated to parse a %d KiB body whose [{},{},...] sits in a field "
                        + "the gateway reads, by where it sits: %s (a prompt of the same size: %d MiB)", size / 1024,
                        costs, promptBytes >> 20)
                .allMatch(mib -> mib <= 2 * (promptBytes >> 20));
    }

    @Test
    void whatTheParserSkipsInsideAFieldItReadsDecidesNothingAnswersStayAsBefore() {
        String completion = "{\"model\":\"m\",\"prompt\":";
        assertThat(parse(completion + "[\"p\"],\"stop\":[\"a\",\"b\"],\"modalities\":[\"text\",\"text\"],"
                + "\"logit_bias\":{\"1\":2},\"stream\":true,\"stream_options\":{\"x\":[{}],\"include_usage\":true},"
                + "\"response_format\":{\"json_schema\":{},\"type\":\"text\"},\"tool_choice\":\"none\"}", false))
                .satisfies(request -> {
                    assertThat(request.prompt()).isEqualTo("p");
                    assertThat(request.includeUsage()).isTrue();
                    assertThat(request.sampling().stop()).containsExactly("a", "b");
                    assertThat(request.sampling().logitBias())
                            .containsExactly(entry("1", 2.0));
                });
        // an array of more than one string, or of one other value, is refused whatever follows its first element
        rejected(() -> parse(completion + "[\"p\",\"q\"]}", false), "invalid_type", "prompt");
        rejected(() -> parse(completion + "[{\"a\":[1]},\"q\"]}", false), "invalid_type", "prompt");
        rejected(() -> parse(completion + "[]}", false), "invalid_type", "prompt");
        // a later value of the same element decides as before: a non-string after the 6th sequence, the count
        rejected(() -> parse(completion + "\"p\",\"stop\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",7]}", false),
                "invalid_type", "stop");
        assertThatThrownBy(() -> parse(completion + "\"p\",\"stop\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\"],"
                + "\"stop\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"\"]}", false))
                .hasMessage("'stop' has 10 sequences (expected: at most 4).");
        assertThat(parse(completion + "\"p\",\"stop\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\"],\"stop\":[\"x\"]}", false)
                .sampling().stop()).containsExactly("x");
        rejected(() -> parse(completion + "\"p\",\"modalities\":[\"text\",\"audio\",{}]}", false),
                "unsupported_parameter", "modalities");
        rejected(() -> parse(completion + "\"p\",\"logit_bias\":{\"1\":1,\"2\":[{}],\"3\":1}}", false),
                "invalid_type", "logit_bias");
        rejected(() -> parse(completion + "\"p\",\"audio\":{\"voice\":[{}]}}", false), "unsupported_parameter", "audio");
        rejected(() -> parse(completion + "\"p\",\"tool_choice\":{\"type\":\"function\"}}", false),
                "unsupported_parameter", "tool_choice");
        // messages: the first refused one decides, its members as before
        String chat = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"x\":[{}],"
                + "\"text\":\"a\"},{\"text\":\"b\",\"type\":\"text\"}],\"name\":{}}";
        assertThat(parse(chat + "]}", true).messages())
                .extracting(ChatMessage::content).containsExactly("ab");
        rejected(() -> parse(chat + ",{\"role\":\"assistant\",\"tool_calls\":[{}]},{}]}", true),
                "unsupported_parameter", "messages[1].tool_calls");
        rejected(() -> parse(chat + ",{\"role\":\"assistant\",\"content\":null,\"function_call\":{}}]}", true),
                "unsupported_parameter", "messages[1].function_call");
        rejected(() -> parse(chat + ",{\"role\":\"robot\"},{\"role\":\"user\"}]}", true), "invalid_value",
                "messages[1].role");
        rejected(() -> parse(chat + ",{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"},{}]}]}", true),
                "invalid_value", "messages[1].content");
        rejected(() -> parse(chat + ",[{}]]}", true), "invalid_type", "messages[1]");
        // what is skipped is still checked as JSON
        assertThatThrownBy(() -> parse(chat + ",{\"role\":\"robot\"},{\"role\":]}", true))
                .isInstanceOfSatisfying(GatewayError.class, error -> assertThat(error.code()).isEqualTo("invalid_json"));
        assertThatThrownBy(() -> parse(completion + "[1,{\"a\":]]}", false))
                .isInstanceOfSatisfying(GatewayError.class, error -> assertThat(error.code()).isEqualTo("invalid_json"));
    }

    /** Bytes the current thread allocates to parse {@code json} (served or refused with a 400 alike). */
    private long allocatedWhileParsing(String json, boolean chat) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try {
            parser.parse(body, chat);
        } catch (GatewayError refused) {
            assertThat(refused.status()).isEqualTo(HttpStatus.BAD_REQUEST);
        }
        return threads.getCurrentThreadAllocatedBytes() - before;
    }
}
