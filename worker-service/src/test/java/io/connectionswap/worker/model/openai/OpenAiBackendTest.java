package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.protocol.model.ChatFormat;
import io.connectionswap.protocol.model.ChatTemplate;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelException;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.llm.Behaviour;
import io.connectionswap.testsupport.llm.GreedyLlm;
import io.connectionswap.testsupport.llm.GreedyLlmServer;
import io.connectionswap.worker.model.RecordingSubscriber;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The openai backend against an in-JVM {@link GreedyLlmServer} (whose next token depends on the whole text so far,
 * so a resume that loses or repeats anything changes the text) and against a scripted upstream that sends exactly
 * the bytes a test wants.
 */
class OpenAiBackendTest {

    private static final String MODEL = "greedy-1";
    private static final String PROMPT = "Once upon a time";
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private GreedyLlmServer llm;
    private OpenAiBackend backend;

    @BeforeEach
    void start() throws Exception {
        llm = GreedyLlmServer.start(0, MODEL, Behaviour.DEFAULT);
    }

    @AfterEach
    void stop() {
        if (backend != null) {
            backend.close();
        }
        llm.close();
    }

    // ---- text ----

    @Test
    void eachChunkIsOneTokenAndTheTextIsTheUpstreamsText() {
        backend = backend(llm.baseUrl(), settings -> settings);

        RecordingSubscriber events = run(context(PROMPT, 12, 0, ""));

        assertThat(events.error()).isNull();
        assertThat(events.text()).isEqualTo(GreedyLlm.complete(PROMPT, 12));
        assertThat(events.texts()).hasSize(12).allSatisfy(token -> assertThat(token).isNotEmpty());
        assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(events.finished().usage()).isEqualTo(new Usage(4, 12));
        assertThat(events.completed()).isTrue();
    }

    @Test
    void aResumeContinuesAfterTheDeliveredTextExactly() {
        backend = backend(llm.baseUrl(), settings -> settings);
        String whole = GreedyLlm.complete(PROMPT, 20);
        for (int delivered : new int[] {1, 7, 19}) {
            String deliveredText = GreedyLlm.complete(PROMPT, delivered);

            RecordingSubscriber events = run(context(PROMPT, 20, delivered, deliveredText));

            assertThat(events.error()).isNull();
            assertThat(events.texts()).as("tokens after " + delivered).hasSize(20 - delivered);
            assertThat(deliveredText + events.text()).isEqualTo(whole);
            assertThat(events.finished().usage().completionTokens()).as("counts the whole generation").isEqualTo(20);
        }
    }

    @Test
    void aChatRequestIsContinuedFromItsRenderedPrompt() {
        backend = backend(llm.baseUrl(), settings -> settings);
        List<ChatMessage> messages = List.of(new ChatMessage("system", "You are terse."), new ChatMessage("user", "Hi"));
        String rendered = ChatTemplate.render(messages);
        String delivered = GreedyLlm.complete(rendered, 3);

        RecordingSubscriber events = run(new GenerationContext("gen-chat", null, rendered, messages,
                SamplingParameters.maxTokens(8), 3, delivered, null));

        assertThat(delivered + events.text()).isEqualTo(GreedyLlm.complete(rendered, 8));
    }

    @Test
    void aResumeAfterTheLastTokenFinishesWithoutAskingTheUpstream() {
        backend = backend(llm.baseUrl(), settings -> settings);
        int before = llm.completions();

        RecordingSubscriber events = run(context(PROMPT, 5, 5, GreedyLlm.complete(PROMPT, 5)));

        assertThat(events.texts()).isEmpty();
        assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(llm.completions()).isEqualTo(before);
    }

    @Test
    void aStopSequenceEndsWithReasonStop() {
        backend = backend(llm.baseUrl(), settings -> settings);
        List<String> tokens = tokens(PROMPT, 30);
        String stop = tokens.get(6).strip();
        int firstStop = tokens.indexOf(tokens.stream().filter(t -> t.contains(stop)).findFirst().orElseThrow());

        RecordingSubscriber events = run(new GenerationContext("gen-stop", null, PROMPT, null,
                new SamplingParameters(30, null, null, List.of(stop), null, null), 0, "", null));

        assertThat(events.finished().reason()).isEqualTo(FinishReason.STOP);
        assertThat(events.texts()).isEqualTo(tokens.subList(0, firstStop));
    }

    /**
     * A stop that begins in the delivered text and ends in the resumed leg's first token: the upstream sees the
     * delivered text as prompt and would not find it, so the worker does; the leg ends where the unbroken one did.
     */
    @Test
    void aStopSequenceAcrossTheResumeEndsTheResumedLegWhereTheUnbrokenOneEnded() {
        backend = backend(llm.baseUrl(), settings -> settings);
        List<String> tokens = tokens(PROMPT, 30);
        int boundary = straddledBoundary(tokens);
        String stop = straddling(tokens, boundary);
        SamplingParameters sampling = new SamplingParameters(30, null, null, List.of(stop), null, null);
        RecordingSubscriber unbroken = run(new GenerationContext("gen-whole", null, PROMPT, null, sampling, 0, "", null));
        assertThat(unbroken.texts()).as("the unbroken generation stops before token " + (boundary + 1))
                .isEqualTo(tokens.subList(0, boundary));
        assertThat(unbroken.finished().reason()).isEqualTo(FinishReason.STOP);
        int before = llm.completions();

        RecordingSubscriber resumed = run(new GenerationContext("gen-resumed", null, PROMPT, null, sampling, boundary,
                String.join("", tokens.subList(0, boundary)), null));

        assertThat(llm.completions() - before).as("the upstream was asked").isEqualTo(1);
        assertThat(resumed.error()).isNull();
        assertThat(resumed.texts()).as("nothing after the delivered text").isEmpty();
        assertThat(resumed.finished().reason()).isEqualTo(FinishReason.STOP);
        assertThat(resumed.completed()).isTrue();
        await("the upstream stream is closed").atMost(DEADLINE).until(() -> llm.streamsOpen() == 0);
    }

    /** A stop that only looks like it might begin in the delivered text does not end the leg. */
    @Test
    void aResumeWithAStopThatDoesNotCrossTheBoundaryContinuesExactly() {
        backend = backend(llm.baseUrl(), settings -> settings);
        List<String> tokens = tokens(PROMPT, 20);
        int boundary = straddledBoundary(tokens);
        String stop = straddling(tokens, boundary).substring(0, 2) + "~never~";
        SamplingParameters sampling = new SamplingParameters(20, null, null, List.of(stop), null, null);

        RecordingSubscriber resumed = run(new GenerationContext("gen-resumed", null, PROMPT, null, sampling, boundary,
                String.join("", tokens.subList(0, boundary)), null));

        assertThat(resumed.texts()).isEqualTo(tokens.subList(boundary, 20));
        assertThat(resumed.finished().reason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void aModelTheWorkerDoesNotServeIsRefused() {
        backend = backend(llm.baseUrl(), settings -> settings);

        RecordingSubscriber events = run(new GenerationContext("gen-m", "other", PROMPT, null,
                SamplingParameters.maxTokens(3), 0, "", null));

        assertThat(((ModelException) events.error()).code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND);
    }

    // ---- demand and cancellation ----

    @Test
    void nothingIsEmittedBeyondDemand() {
        backend = backend(llm.baseUrl(), settings -> settings);
        RecordingSubscriber events = new RecordingSubscriber(2);
        backend.generate(context(PROMPT, 10, 0, "")).subscribe(events);

        await().atMost(DEADLINE).until(() -> events.texts().size() == 2);
        Holds.throughout(Duration.ofMillis(300), () -> "no event beyond the demand of 2: " + events.events(),
                () -> events.events().size() == 2 && !events.terminated());

        events.request(3);
        await().atMost(DEADLINE).until(() -> events.texts().size() == 5);
        events.request(100);
        events.awaitTerminal(DEADLINE);
        assertThat(events.text()).isEqualTo(GreedyLlm.complete(PROMPT, 10));
        assertThat(events.completed()).isTrue();
    }

    @Test
    void cancellingStopsTheUpstreamStream() {
        llm.behaviour(new Behaviour(0, 20, 20, false, false, 0));
        backend = backend(llm.baseUrl(), settings -> settings);
        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(context(PROMPT, 1000, 0, "")).subscribe(events);
        await().atMost(DEADLINE).until(() -> events.texts().size() >= 3);
        assertThat(llm.streamsOpen()).isEqualTo(1);

        events.cancel();

        await("the upstream sees the connection close").atMost(DEADLINE).until(() -> llm.streamsOpen() == 0);
        assertThat(events.texts().size()).isLessThan(1000);
        assertThat(events.terminated()).as("a cancelled subscription gets no terminal signal").isFalse();
    }

    /**
     * A resume after the last token asks the upstream for a look-ahead ({@link StopAfterLastToken}, up to the
     * first-token timeout). Cancelling the generation meanwhile must end that request too, as it ends the stream of a
     * leg: it was left running (and generating on the upstream) until the first-token timeout.
     */
    @Test
    void cancellingAResumeAfterTheLastTokenStopsTheLookAheadRequest() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200, "").hangAfterBody(Duration.ofMillis(100));
            backend = backend(scripted.baseUrl(), settings -> copy(settings, Duration.ofSeconds(30),
                    Duration.ofSeconds(30)));
            RecordingSubscriber events = RecordingSubscriber.unbounded();
            backend.generate(new GenerationContext("gen-look-ahead", null, PROMPT, null,
                    new SamplingParameters(2, 0.0, null, List.of("END"), null, null), 2, " a b", null))
                    .subscribe(events);
            await("the look-ahead request reaches the upstream").atMost(DEADLINE)
                    .until(() -> scripted.requests("/v1/completions").size() == 1);

            events.cancel();

            await("the upstream sees the look-ahead request closed").atMost(Duration.ofSeconds(5))
                    .until(() -> scripted.abandoned() == 1);
        }
    }

    // ---- failures ----

    @Test
    void anUpstream5xxIsAnUpstreamFailure() {
        llm.behaviour(new Behaviour(0, 5, 5, true, false, 0));
        backend = backend(llm.baseUrl(), settings -> settings);

        ModelException failure = failure(run(context(PROMPT, 5, 0, "")));

        assertThat(failure.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
        assertThat(failure).hasMessage("upstream answered HTTP 503: injected failure");
        assertThat(failure.upstream()).as("for the worker's log").isEqualTo(llm.baseUrl() + "/completions");
    }

    @Test
    void anUpstream4xxIsTheRequestsFaultWithTheUpstreamsMessage() {
        llm.behaviour(new Behaviour(0, 5, 5, false, true, 0));
        backend = backend(llm.baseUrl(), settings -> settings);

        ModelException failure = failure(run(context(PROMPT, 5, 0, "")));

        assertThat(failure.code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED);
        assertThat(failure.code().isRequestFault()).isTrue();
        assertThat(failure).as("the message reaches the client: no internal URL")
                .hasMessage("upstream answered HTTP 400: injected rejection");
        assertThat(failure.upstream()).as("for the worker's log").isEqualTo(llm.baseUrl() + "/completions");
    }

    @Test
    void aStreamCutBeforeItsEndIsAnUpstreamFailure() {
        llm.behaviour(new Behaviour(0, 5, 5, false, false, 3));
        backend = backend(llm.baseUrl(), settings -> settings);

        RecordingSubscriber events = run(context(PROMPT, 10, 0, ""));

        assertThat(events.text()).isEqualTo(GreedyLlm.complete(PROMPT, 3));
        ModelException failure = failure(events);
        assertThat(failure.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
        assertThat(failure.getMessage()).startsWith("upstream stream").contains("after 3 tokens");
    }

    @Test
    void aRefusedConnectionIsAnUpstreamFailure() {
        String url = llm.baseUrl();
        llm.close();
        backend = backend(url, settings -> settings);

        ModelException failure = failure(run(context(PROMPT, 5, 0, "")));

        assertThat(failure.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
        assertThat(failure.getMessage()).startsWith("cannot connect to upstream: ").doesNotContain(":" + llm.port());
        assertThat(failure.upstream()).isEqualTo(url + "/completions");
    }

    @Test
    void noFirstTokenInTimeIsAnUpstreamFailure() {
        llm.behaviour(new Behaviour(5000, 5, 5, false, false, 0));
        backend = backend(llm.baseUrl(), settings -> copy(settings, Duration.ofMillis(300), settings.tokenTimeout()));

        ModelException failure = failure(run(context(PROMPT, 5, 0, "")));

        assertThat(failure.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
        assertThat(failure.getMessage()).startsWith("no first token from upstream within PT0.3S")
                .doesNotContain(":" + llm.port());
        assertThat(failure.upstream()).isEqualTo(llm.baseUrl() + "/completions");
    }

    @Test
    void silenceBetweenTokensIsAnUpstreamFailure() {
        llm.behaviour(new Behaviour(0, 5000, 5000, false, false, 0));
        backend = backend(llm.baseUrl(), settings -> copy(settings, settings.firstTokenTimeout(), Duration.ofMillis(300)));

        RecordingSubscriber events = run(context(PROMPT, 5, 0, ""));

        assertThat(events.texts()).hasSize(1);
        ModelException failure = failure(events);
        assertThat(failure.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
        assertThat(failure.getMessage()).startsWith("upstream sent no chunk for").contains("after 1 tokens")
                .doesNotContain(":" + llm.port());
    }

    // ---- the wire, byte by byte ----

    @Test
    void aChatIsRenderedInTheConfiguredFormatAndResumedAfterTheDeliveredText() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200, "data: {\"choices\":[{\"text\":\" x\",\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n");
            backend = backend(scripted.baseUrl(), settings -> new UpstreamSettings(settings.baseUri(), settings.model(),
                    null, settings.connectTimeout(), settings.firstTokenTimeout(), settings.tokenTimeout(),
                    settings.healthInterval(), true, 2, ChatFormat.CHATML));
            List<ChatMessage> messages = List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"));

            run(new GenerationContext("gen-chat", null, ChatTemplate.render(messages), messages,
                    SamplingParameters.maxTokens(5), 2, " Hello there", null));

            JsonNode body = JsonMapper.builder().build().readTree(scripted.requests("/v1/completions").get(0).body());
            assertThat(body.path("prompt").asString()).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n"
                    + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n Hello there");
            assertThat(body.path("max_tokens").asInt()).isEqualTo(3);
        }
    }

    @Test
    void theRequestCarriesTheContinuationBudgetSamplingKeyAndTrace() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200, "data: {\"choices\":[{\"text\":\" x\",\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n");
            backend = backend(scripted.baseUrl(), settings -> new UpstreamSettings(settings.baseUri(), "scripted",
                    "sk-test", settings.connectTimeout(), settings.firstTokenTimeout(), settings.tokenTimeout(),
                    settings.healthInterval(), true, 2, settings.chatFormat()));
            SamplingParameters sampling = new SamplingParameters(10, 0.5, 0.9, List.of("\n\n", "END"), 42L, "user-1",
                    0.25, -0.5, java.util.Map.of("50256", -100.0));

            RecordingSubscriber events = run(new GenerationContext("gen-w", null, "Prompt:", null, sampling, 9,
                    " nine tokens", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));

            assertThat(events.text()).isEqualTo(" x");
            ScriptedUpstream.Request request = scripted.requests("/v1/completions").get(0);
            JsonNode body = JsonMapper.builder().build().readTree(request.body());
            assertThat(body.path("model").asString()).isEqualTo("scripted");
            assertThat(body.path("prompt").asString()).isEqualTo("Prompt: nine tokens");
            assertThat(body.path("max_tokens").asInt()).isEqualTo(1);
            assertThat(body.path("stream").asBoolean()).isTrue();
            assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
            assertThat(body.path("temperature").asDouble()).isEqualTo(0.5);
            assertThat(body.path("top_p").asDouble()).isEqualTo(0.9);
            assertThat(body.path("stop").toString()).isEqualTo("[\"\\n\\n\",\"END\"]");
            assertThat(body.path("seed").asLong()).isEqualTo(42L);
            assertThat(body.path("user").asString()).isEqualTo("user-1");
            assertThat(body.path("frequency_penalty").asDouble()).isEqualTo(0.25);
            assertThat(body.path("logit_bias").path("50256").asDouble()).isEqualTo(-100.0);
            assertThat(body.path("presence_penalty").asDouble()).isEqualTo(-0.5);
            assertThat(request.authorization()).isEqualTo("Bearer sk-test");
            assertThat(request.traceparent()).isEqualTo("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        }
    }

    @Test
    void commentsCrlfMultiLineDataUsageAndAnEmptyFinalChunkAreRead() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200, ": ping\r\n\r\n"
                    + "data: {\"choices\":[{\"text\":\" a\",\r\ndata: \"finish_reason\":null}]}\r\n\r\n"
                    + "event: message\r\nid: 2\r\ndata:{\"choices\":[{\"text\":\"\",\"finish_reason\":null}]}\r\n\r\n"
                    + ": another comment\r\n"
                    + "data: {\"choices\":[{\"text\":\" b\",\"finish_reason\":null}]}\r\n\r\n"
                    + "data: {\"choices\":[{\"text\":\"\",\"finish_reason\":\"stop\"}]}\r\n\r\n"
                    + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3,\"total_tokens\":5}}\r\n\r\n"
                    + "data: [DONE]\r\n\r\n");
            backend = backend(scripted.baseUrl(), settings -> settings);

            RecordingSubscriber events = run(context("p q", 8, 0, ""));

            assertThat(events.error()).isNull();
            assertThat(events.texts()).containsExactly(" a", "", " b");
            assertThat(events.finished().reason()).isEqualTo(FinishReason.STOP);
            assertThat(events.finished().usage()).isEqualTo(new Usage(2, 3));
        }
    }

    @Test
    void aFinishReasonWithoutDoneStillCompletes() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200, "data: {\"choices\":[{\"text\":\" a\",\"finish_reason\":\"length\"}]}\n\n");
            backend = backend(scripted.baseUrl(), settings -> settings);

            RecordingSubscriber events = run(context("p", 1, 0, ""));

            assertThat(events.texts()).containsExactly(" a");
            assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
        }
    }

    @Test
    void anErrorEventInTheStreamIsMappedByItsCode() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            backend = backend(scripted.baseUrl(), settings -> settings);
            scripted.completions(200, "data: {\"choices\":[{\"text\":\" a\",\"finish_reason\":null}]}\n\n"
                    + "data: {\"error\":{\"object\":\"error\",\"message\":\"engine dead\",\"type\":\"InternalServerError\",\"code\":500}}\n\n");
            ModelException failed = failure(run(context("p", 5, 0, "")));
            assertThat(failed.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
            assertThat(failed).hasMessage("upstream sent an error after 1 tokens (code 500): engine dead");

            scripted.completions(200, "data: {\"error\":{\"message\":\"prompt too long\",\"type\":\"BadRequestError\",\"code\":400}}\n\n");
            assertThat(failure(run(context("p", 5, 0, ""))).code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED);
        }
    }

    @Test
    void garbageInTheStreamIsAnUpstreamFailure() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200, "data: {\"choices\":[{\"text\":\" a\"\n\n");
            backend = backend(scripted.baseUrl(), settings -> settings);

            ModelException failure = failure(run(context("p", 5, 0, "")));

            assertThat(failure.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
            assertThat(failure.getMessage()).startsWith("upstream sent a chunk that is not JSON after 0 tokens");
        }
    }

    /**
     * A 429 with Retry-After takes the worker out of rotation until then: its model health is DOWN with the reason,
     * and UP again once the time has passed; a 429 without it moves the generation and leaves the worker be.
     */
    @Test
    void aRetryAfterOnA429MakesTheWorkerNotReadyUntilThen() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            backend = backend(scripted.baseUrl(), settings -> settings);
            await("the first health check").atMost(DEADLINE).until(backend::isReady);

            scripted.completions(429, "{\"error\":{\"message\":\"Rate limit reached\"}}");
            assertThat(failure(run(context("p", 5, 0, ""))).code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
            assertThat(backend.isReady()).as("no Retry-After: the worker stays").isTrue();

            scripted.retryAfter("2");
            ModelException limited = failure(run(context("p", 5, 0, "")));
            assertThat(limited.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
            assertThat(backend.isReady()).as("backing off").isFalse();
            assertThat(backend.problem()).startsWith("upstream answered HTTP 429 with Retry-After: 2; backing off until ");
            assertThat(backend.healthDetails()).containsEntry("upstream", "DOWN").containsKey("upstreamBackOffUntil");

            await("ready again after the back-off").atMost(DEADLINE).until(backend::isReady);
            assertThat(backend.problem()).isNull();
            assertThat(backend.healthDetails()).containsEntry("upstream", "UP").doesNotContainKey("upstreamBackOffUntil");
        }
    }

    /**
     * The JDK's client sends a request on a pooled keep-alive connection. When the upstream closes that connection
     * just as the request comes (uvicorn's keep-alive timeout, 5 s in vLLM, running out at that moment; or a proxy, a
     * cloud load balancer or a NAT that dropped the idle connection, the JDK keeping them 20 minutes by default on
     * Java 17), no byte of an answer comes, and the JDK does not send a POST again: the upstream never saw the
     * request, yet the generation fails with UPSTREAM_FAILED at once and is moved (a swap the client sees as a RETRY,
     * counted against the migration limit) though the upstream is healthy and answers the very next request.
     */
    @Test
    void aRequestOnAPooledConnectionTheUpstreamClosedIsSentAgainOnAFreshOne() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200, "data: {\"choices\":[{\"text\":\" a\",\"finish_reason\":null}]}\n\n"
                    + "data: {\"choices\":[{\"text\":\" b\",\"finish_reason\":\"length\"}],"
                    + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n");
            // one health check (its connection then idles in the JDK's pool), no other request beside the test's
            backend = backend(scripted.baseUrl(), settings -> new UpstreamSettings(settings.baseUri(),
                    settings.model(), null, settings.connectTimeout(), settings.firstTokenTimeout(),
                    settings.tokenTimeout(), Duration.ofMinutes(10), true, 2, settings.chatFormat()));
            await("the first health check").atMost(DEADLINE).until(backend::isReady);
            scripted.closeReusedConnectionOnce();

            RecordingSubscriber events = run(context("p", 2, 0, ""));

            assertThat(scripted.closedUnanswered()).as("the request came on the pooled connection, closed unanswered")
                    .isEqualTo(1);
            assertThat(events.error()).as("a request the upstream never answered, on a connection it had closed")
                    .isNull();
            assertThat(events.texts()).containsExactly(" a", " b");
            assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
        }
    }

    @Test
    void retryAfterIsSecondsOrAnHttpDate() {
        java.time.Instant now = java.time.Instant.parse("2026-10-21T07:27:00Z");
        assertThat(UpstreamBackOff.parse(" 120 ", now)).isEqualTo(Duration.ofSeconds(120));
        assertThat(UpstreamBackOff.parse("Wed, 21 Oct 2026 07:28:00 GMT", now)).isEqualTo(Duration.ofSeconds(60));
        assertThat(UpstreamBackOff.parse("soon", now)).isNull();
    }

    @Test
    void statusCodesThatSpeakOfTheUpstreamAreNotTheRequestsFault() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            backend = backend(scripted.baseUrl(), settings -> settings);
            for (int status : new int[] {401, 403, 404, 408, 429, 500, 502}) {
                scripted.completions(status, "{\"error\":{\"message\":\"no\"}}");
                assertThat(failure(run(context("p", 5, 0, ""))).code()).as("HTTP " + status).isEqualTo(ErrorCode.UPSTREAM_FAILED);
            }
            for (int status : new int[] {400, 413, 422}) {
                scripted.completions(status, "{\"detail\":\"bad\"}");
                ModelException failure = failure(run(context("p", 5, 0, "")));
                assertThat(failure.code()).as("HTTP " + status).isEqualTo(ErrorCode.UPSTREAM_REJECTED);
                assertThat(failure.getMessage()).endsWith(": bad");
            }
        }
    }

    // ---- helpers ----

    private RecordingSubscriber run(GenerationContext context) {
        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(context).subscribe(events);
        return events.awaitTerminal(DEADLINE);
    }

    private static ModelException failure(RecordingSubscriber events) {
        assertThat(events.error()).as("the publisher failed").isInstanceOf(ModelException.class);
        return (ModelException) events.error();
    }

    private static GenerationContext context(String prompt, int maxTokens, int resumeAfter, String delivered) {
        return new GenerationContext("gen-1", null, prompt, null, SamplingParameters.maxTokens(maxTokens), resumeAfter,
                delivered, null);
    }

    /** The first token index from 3 on whose token and the one before it have two characters or more. */
    private static int straddledBoundary(List<String> tokens) {
        for (int k = 3; k < tokens.size(); k++) {
            String stop = straddling(tokens, k);
            if (stop != null && !String.join("", tokens.subList(0, k)).contains(stop)) {
                return k;
            }
        }
        throw new IllegalStateException("no two long tokens in a row: " + tokens);
    }

    /** The last two characters of token {@code k - 1} and the first two of token {@code k} (0-based), or null. */
    private static String straddling(List<String> tokens, int k) {
        String before = tokens.get(k - 1);
        String after = tokens.get(k);
        if (before.length() < 2 || after.length() < 2) {
            return null;
        }
        return before.substring(before.length() - 2) + after.substring(0, 2);
    }

    /** The greedy model's tokens one by one. */
    private static List<String> tokens(String prompt, int count) {
        StringBuilder text = new StringBuilder(prompt);
        java.util.ArrayList<String> tokens = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            String token = GreedyLlm.next(text.toString());
            tokens.add(token);
            text.append(token);
        }
        return tokens;
    }

    static OpenAiBackend backend(String url, java.util.function.UnaryOperator<UpstreamSettings> adjust) {
        return OpenAiBackend.start(adjust.apply(backendSettings(url)));
    }

    /** The settings of {@link #backend} before its adjustment. */
    static UpstreamSettings backendSettings(String url) {
        return new UpstreamSettings(URI.create(url), MODEL, null, Duration.ofSeconds(2), Duration.ofSeconds(10),
                Duration.ofSeconds(5), Duration.ofMillis(100), true, 2, ChatFormat.ROLE_TAGS);
    }

    private static UpstreamSettings copy(UpstreamSettings s, Duration firstToken, Duration token) {
        return new UpstreamSettings(s.baseUri(), s.model(), s.apiKey(), s.connectTimeout(), firstToken, token,
                s.healthInterval(), s.includeUsage(), s.threads(), s.chatFormat());
    }
}
