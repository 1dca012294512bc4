package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.ChatFormat;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelException;
import io.connectionswap.worker.model.RecordingSubscriber;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Event streams of real OpenAI-compatible servers that the backend read wrongly: each test is the wire form one
 * server sends (quoted in its comment) and what the generation must become.
 */
class UpstreamStreamDialectsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private OpenAiBackend backend;
    private HttpServer paced;
    private final ExecutorService pacedThreads = Executors.newCachedThreadPool();
    private final ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        if (backend != null) {
            backend.close();
        }
        if (paced != null) {
            paced.stop(0);
        }
        pacedThreads.shutdownNow();
        pacer.shutdownNow();
    }

    /**
     * TGI's /v1/completions stream sends {@code "finish_reason":""} (its {@code CompletionComplete.finish_reason} is
     * a plain String, {@code String::new()} in every intermediate {@code Chunk}); only the final chunk has a real
     * reason and the usage. Read as a finish reason, the first token ended the generation (include_usage off).
     */
    @Test
    void tgiIntermediateChunksWithAnEmptyFinishReasonAreNotTheEnd() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200, tgiChunk(" a") + tgiChunk(" b") + tgiChunk(" c")
                    + "data:{\"id\":\"\",\"created\":1,\"model\":\"m\",\"system_fingerprint\":\"3.0-native\","
                    + "\"choices\":[{\"index\":0,\"text\":\" d\",\"logprobs\":null,\"finish_reason\":\"length\"}],"
                    + "\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":4,\"total_tokens\":6}}\n\n"
                    + "data:[DONE]\n\n");
            backend = OpenAiBackend.start(settings(scripted.baseUrl(), false, Duration.ofSeconds(5)));

            RecordingSubscriber events = run(context(4, 0, ""));

            assertThat(events.error()).isNull();
            assertThat(events.texts()).containsExactly(" a", " b", " c", " d");
            assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
        }
    }

    /**
     * The same TGI stream with include_usage on (the default), paced like a real model (one token every 400 ms): the
     * empty finish reason of the first chunk started the 1 s usage grace, and the generation was cut there as a
     * complete one (finish reason stop), a few tokens in.
     */
    @Test
    void aPacedTgiStreamIsNotCutByTheUsageGrace() throws Exception {
        String url = pacedUpstream(Duration.ofMillis(400), List.of(tgiChunk(" a"), tgiChunk(" b"), tgiChunk(" c"),
                tgiChunk(" d"), tgiChunk(" e"), tgiChunk(" f"),
                "data:{\"id\":\"\",\"created\":1,\"model\":\"m\",\"system_fingerprint\":\"3.0-native\","
                        + "\"choices\":[{\"index\":0,\"text\":\" g\",\"logprobs\":null,\"finish_reason\":\"length\"}],"
                        + "\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":7,\"total_tokens\":9}}\n\n",
                "data:[DONE]\n\n"));
        backend = OpenAiBackend.start(settings(url, true, Duration.ofSeconds(5)));

        RecordingSubscriber events = run(context(7, 0, ""));

        assertThat(events.error()).isNull();
        assertThat(events.texts()).containsExactly(" a", " b", " c", " d", " e", " f", " g");
        assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
    }

    /**
     * TGI reports a failure inside a 200 stream as {@code data:{"error":"<text>","error_type":"generation"}} (its
     * {@code From<InferError> for Event}: {@code error} is a string, not an object), then its completions stream
     * appends {@code data:[DONE]} unconditionally. The worker ignored the error and took [DONE] as a normal end: a
     * generation that failed after one token reached the client as complete (finish reason stop) and was never moved.
     */
    @Test
    void aTgiErrorEventFollowedByDoneIsAFailureNotACompleteGeneration() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            assertThat(firstLegFailure(scripted, tgiChunk(" a")
                    + "data:{\"error\":\"Request failed during generation: Server error: CUDA out of memory\","
                    + "\"error_type\":\"generation\"}\n\n"
                    + "data:[DONE]\n\n").code())
                    .isEqualTo(ErrorCode.UPSTREAM_FAILED);
        }
    }

    /**
     * An upstream that answers with more than one choice (a server or router configured for {@code n} above 1, the
     * worker asking for one): vLLM streams each choice's tokens as chunks of their own, {@code "index"} telling them
     * apart. The worker read {@code choices[0]} of every chunk whatever its index, so the two answers' tokens reached
     * the client interleaved as one text, and the generation ended at whichever choice finished first. A choice other
     * than the one asked for is a malformed answer: the leg fails (UPSTREAM_FAILED), and no text of it is sent.
     */
    @Test
    void aChoiceOtherThanTheOneAskedForFailsTheLegInsteadOfMixingTwoAnswers() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            String body = choice(0, " The", null) + choice(1, " A", null) + choice(0, " sky", null)
                    + choice(1, " cat", null) + choice(0, " is", "length") + choice(1, " sat", "length")
                    + "data: [DONE]\n\n";
            scripted.completions(200, body);
            backend = OpenAiBackend.start(settings(scripted.baseUrl(), false, Duration.ofSeconds(5)));

            RecordingSubscriber leg = run(context(3, 0, ""));

            assertThat(leg.texts()).as("the text of the first choice only").containsExactly(" The");
            assertThat(leg.error()).as("finished instead: " + leg.events()).isInstanceOf(ModelException.class);
            assertThat(((ModelException) leg.error()).code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
            assertThat(leg.error().getMessage()).contains("index 1");
        }
    }

    private static String choice(int index, String text, String finishReason) {
        return "data: {\"object\":\"text_completion\",\"model\":\"m\",\"choices\":[{\"index\":" + index
                + ",\"text\":\"" + text + "\",\"logprobs\":null,\"finish_reason\":"
                + (finishReason == null ? "null" : "\"" + finishReason + "\"") + "}]}\n\n";
    }

    /**
     * A server that ignores {@code "stream": true} and answers the whole completion as one JSON object: the client
     * must learn that the upstream does not stream, not that its stream was cut.
     */
    @Test
    void aWholeJsonAnswerToAStreamedRequestFailsSayingSo() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completionType("application/json").completions(200, "{\"id\":\"cmpl-1\",\"object\":"
                    + "\"text_completion\",\"choices\":[{\"index\":0,\"text\":\" a b\",\"finish_reason\":\"length\"}]}");
            backend = OpenAiBackend.start(settings(scripted.baseUrl(), false, Duration.ofSeconds(5)));

            RecordingSubscriber failed = run(context(10, 0, ""));

            assertThat(failed.error()).as("events: " + failed.events()).isInstanceOfSatisfying(ModelException.class,
                    error -> {
                        assertThat(error.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
                        assertThat(error.getMessage()).contains("application/json instead of an event stream");
                    });
        }
    }

    /**
     * llama.cpp's server (named in the README) reports a failure inside its 200 stream not as a {@code data:} line but
     * as an SSE field of its own, {@code server_sent_event(sink, "error", error_data)}: {@code error: {...}}, and then
     * appends {@code data: [DONE]} for the OpenAI endpoints. The parser drops every field but {@code data}, so the
     * error vanished and [DONE] ended the generation as complete (finish reason stop): a generation that failed after
     * one token (a failed decode) reached the client as a short complete answer and was never moved; a prompt over the
     * context size (its code 400, sent after the 200 headers) came back as an empty "successful" completion.
     */
    @Test
    void aLlamaCppErrorFieldFollowedByDoneIsAFailureNotACompleteGeneration() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            assertThat(firstLegFailure(scripted, "data: {\"choices\":[{\"text\":\" a\",\"index\":0,\"logprobs\":null,"
                    + "\"finish_reason\":null}],\"object\":\"text_completion\",\"model\":\"m\"}\n\n"
                    + "error: {\"code\":500,\"message\":\"Failed to decode the batch\",\"type\":\"server_error\"}\n\n"
                    + "data: [DONE]\n\n").code())
                    .isEqualTo(ErrorCode.UPSTREAM_FAILED);

            assertThat(firstLegFailure(scripted,
                    "error: {\"code\":400,\"message\":\"the request exceeds the available context "
                    + "size, try increasing it\",\"type\":\"exceed_context_size_error\"}\n\n"
                    + "data: [DONE]\n\n").code())
                    .isEqualTo(ErrorCode.UPSTREAM_REJECTED);
        }
    }

    /**
     * An {@code error:} field over several lines of one event: the lines were joined with a newline (as SSE joins
     * {@code data:} lines) and wrapped as {@code {"error": <lines>}}, which is no JSON when the lines are two objects;
     * the leg failed as "a chunk that is not JSON", not as the upstream's error. Now the event is the upstream's error,
     * its text the message.
     */
    @Test
    void anErrorFieldOverSeveralLinesIsTheUpstreamsError() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            assertThat(firstLegFailure(scripted, "data: {\"choices\":[{\"text\":\" a\",\"index\":0,\"logprobs\":null,"
                    + "\"finish_reason\":null}],\"object\":\"text_completion\",\"model\":\"m\"}\n\n"
                    + "error: {\"code\":500,\"message\":\"Failed to decode the batch\"}\n"
                    + "error: {\"code\":500,\"message\":\"KV cache is full\"}\n\n"
                    + "data: [DONE]\n\n")).isInstanceOfSatisfying(
                    ModelException.class, error -> {
                        assertThat(error.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
                        assertThat(error.getMessage()).startsWith("upstream sent an error after 1 tokens")
                                .contains("Failed to decode the batch", "KV cache is full");
                    });
        }
    }

    /**
     * An upstream may say an event is an error with the SSE {@code event} field rather than in its data (OpenAI's
     * Responses stream writes {@code event: error} then {@code data: {"type":"error","code":...,"message":...}}). The
     * parser ignored the {@code event} field: the data was read as an ordinary chunk without text, and the
     * {@code data: [DONE]} after it ended the generation as complete (finish reason stop), so a generation that failed
     * after one token reached the client as a short complete answer and was never moved. Now an {@code error} event
     * fails the leg as llama.cpp's {@code error:} field does; an error object inside it is read as such.
     */
    @Test
    void anEventOfTypeErrorFollowedByDoneIsAFailureNotACompleteGeneration() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            assertThat(firstLegFailure(scripted, "data: {\"choices\":[{\"text\":\" a\",\"index\":0,\"logprobs\":null,"
                    + "\"finish_reason\":null}],\"object\":\"text_completion\",\"model\":\"m\"}\n\n"
                    + "event: error\n"
                    + "data: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"The model crashed\"}\n\n"
                    + "data: [DONE]\n\n")).isInstanceOfSatisfying(
                    ModelException.class, error -> {
                        assertThat(error.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
                        assertThat(error.getMessage()).contains("The model crashed");
                    });

            assertThat(firstLegFailure(scripted, "event: error\n"
                    + "data: {\"error\":{\"code\":400,\"message\":\"prompt too long\","
                    + "\"type\":\"invalid_request_error\"}}\n\n"
                    + "data: [DONE]\n\n"))
                    .isInstanceOfSatisfying(ModelException.class,
                            error -> assertThat(error.code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED));
        }
    }

    /**
     * An {@code event: error} that is the body's last event, the body ending without the blank line after it (the
     * upstream closes right after writing its error): that last event was dropped when it was an error, so the leg
     * failed as a "stream cut" (UPSTREAM_FAILED) rather than with the upstream's error, here a rejection
     * (UPSTREAM_REJECTED, "prompt too long"). Found by the review helper.
     */
    @Test
    void anErrorEventEndingTheBodyWithoutABlankLineIsTheUpstreamsError() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            assertThat(firstLegFailure(scripted, "event: error\n"
                    + "data: {\"error\":{\"code\":400,\"message\":\"prompt too long\","
                    + "\"type\":\"invalid_request_error\"}}"))
                    .isInstanceOfSatisfying(ModelException.class, error -> {
                        assertThat(error.getMessage()).contains("prompt too long");
                        assertThat(error.code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED);
                    });
        }
    }

    /**
     * An {@code event: error} whose data is the Responses-style object {@code {"type":"error","code":...,"message":...}}
     * is taken whole as the error (CompletionChunk.parseError), so its {@code type} is always "error" and the request
     * fault the code named ({@code invalid_request_error}) was never seen: before the first token the leg failed
     * UPSTREAM_FAILED (a swap, to a worker that fails the same way) where the same fault in an {@code {"error":{...}}}
     * object was UPSTREAM_REJECTED. The code is read for the kind too now. Found by the review helper.
     */
    @Test
    void anEventOfTypeErrorNamingARequestFaultInItsCodeIsARejection() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            assertThat(firstLegFailure(scripted, "event: error\n"
                    + "data: {\"type\":\"error\",\"code\":\"invalid_request_error\",\"message\":\"prompt too long\"}\n\n"
                    + "data: [DONE]\n\n"))
                    .isInstanceOfSatisfying(ModelException.class,
                            error -> assertThat(error.code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED));
        }
    }

    /**
     * vLLM's completion stream generator catches every exception once the 200 is sent ({@code except Exception as e:
     * data = self.create_streaming_error_response(str(e))}, then {@code data: [DONE]}), and that response's defaults
     * are {@code type "BadRequestError", code 400}, whatever the cause; SGLang does the same. So the engine dying in
     * the middle of a generation (EngineDeadError, the very failure a swap is for) arrives as an error event with code
     * 400, which the worker maps to UPSTREAM_REJECTED: a final error for the client, never moved, the worker not blamed.
     * After tokens were generated no request-validation error is possible any more (vLLM validates before the first
     * token): such an error is the upstream's failure.
     */
    @Test
    void aVllmEngineFailureMidStreamIsAnUpstreamFailureThoughItSaysCode400() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200,
                    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\",\"choices\":"
                            + "[{\"index\":0,\"text\":\" a\",\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
                            + "data: {\"error\":{\"message\":\"EngineCore encountered an issue. See stack trace (above) "
                            + "for the root cause.\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}\n\n"
                            + "data: [DONE]\n\n");
            backend = OpenAiBackend.start(settings(scripted.baseUrl(), true, Duration.ofSeconds(5)));

            RecordingSubscriber events = run(context(10, 0, ""));

            assertThat(events.texts()).containsExactly(" a");
            assertThat(events.error()).isInstanceOf(ModelException.class);
            assertThat(((ModelException) events.error()).code()).as("a swap, not a final request error")
                    .isEqualTo(ErrorCode.UPSTREAM_FAILED);
        }
    }

    /**
     * The same vLLM engine failure (an error event with code 400) on a resumed leg, before that leg's first token:
     * the generation has tokens already (the client holds two), so the request was taken and is no request fault,
     * yet UpstreamErrors.forStreamError looked at the leg's own count only ({@code produced == 0}) and made it a
     * final UPSTREAM_REJECTED: the half-delivered generation died instead of moving on.
     */
    @Test
    void aVllmEngineFailureAtTheStartOfAResumedLegIsAnUpstreamFailure() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200,
                    "data: {\"error\":{\"message\":\"EngineCore encountered an issue. See stack trace (above) "
                            + "for the root cause.\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}\n\n"
                            + "data: [DONE]\n\n");
            backend = OpenAiBackend.start(settings(scripted.baseUrl(), true, Duration.ofSeconds(5)));

            RecordingSubscriber events = run(context(10, 2, " a b"));

            assertThat(events.error()).as("finished instead: " + events.events()).isInstanceOf(ModelException.class);
            assertThat(((ModelException) events.error()).code())
                    .as("tokens of this generation were delivered: a swap, not a final request error")
                    .isEqualTo(ErrorCode.UPSTREAM_FAILED);
        }
    }

    /**
     * vLLM ends a stream whose request the engine aborted (engine shutdown, sleep mode, an abort request: the very
     * failures a swap is for) with {@code finish_reason: "abort"} and then [DONE]. Read as
     * "stop", the truncated text reached the client as a complete generation and was never resumed elsewhere.
     */
    @Test
    void anAbortFinishReasonIsAnUpstreamFailureNotAStop() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200,
                    "data: {\"choices\":[{\"index\":0,\"text\":\" a\",\"finish_reason\":null}],\"usage\":null}\n\n"
                            + "data: {\"choices\":[{\"index\":0,\"text\":\"\",\"finish_reason\":\"abort\"}],\"usage\":null}\n\n"
                            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1,\"total_tokens\":3}}\n\n"
                            + "data: [DONE]\n\n");
            backend = OpenAiBackend.start(settings(scripted.baseUrl(), true, Duration.ofSeconds(5)));

            RecordingSubscriber events = run(context(10, 0, ""));

            assertThat(events.error()).as("finished instead: " + events.events()).isInstanceOf(ModelException.class);
            assertThat(((ModelException) events.error()).code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
        }
    }

    /**
     * An upstream (or a proxy in front of it) that stalls mid-stream but keeps the connection alive with SSE comments
     * ({@code : ping}) was never caught by CONNECTION_SWAP_UPSTREAM_TOKEN_TIMEOUT: every comment line reset the
     * silence, though no chunk came ("longest silence between two chunks").
     */
    @Test
    void keepAliveCommentsDoNotHideAStalledStreamFromTheTokenTimeout() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream()) {
            scripted.completions(200, "data: {\"choices\":[{\"text\":\" a\",\"finish_reason\":null}]}\n\n")
                    .hangAfterBody(Duration.ofMillis(100));
            backend = OpenAiBackend.start(settings(scripted.baseUrl(), true, Duration.ofMillis(500)));

            RecordingSubscriber events = run(context(10, 0, ""));

            assertThat(events.texts()).containsExactly(" a");
            assertThat(events.error()).isInstanceOf(ModelException.class);
            assertThat(((ModelException) events.error()).code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
        }
    }

    /**
     * SseEventParser bounds an event at 1 MiB "so a broken upstream cannot make the worker buffer without bound", but
     * the JDK's line subscriber assembled a whole line first, however long: an upstream that sent one endless line
     * (no newline) was read into memory until its token timeout (here 20 s). BoundedLines fails it past 4 MiB.
     */
    @Test
    void anEndlessLineIsNotBufferedPastTheEventLimit() throws Exception {
        AtomicLong written = new AtomicLong();
        AtomicLong writtenAtFailure = new AtomicLong(-1);
        paced = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        paced.setExecutor(pacedThreads);
        paced.createContext("/v1/completions", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("data: {\"choices\":[{\"text\":\" a\",\"finish_reason\":null}]}\n\ndata: ".getBytes(
                        StandardCharsets.UTF_8));
                byte[] block = "x".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
                for (int i = 0; i < 1024; i++) { // 64 MiB, no newline
                    out.write(block);
                    written.addAndGet(block.length);
                }
            }
        });
        paced.start();
        backend = OpenAiBackend.start(settings("http://127.0.0.1:" + paced.getAddress().getPort() + "/v1", true,
                Duration.ofSeconds(20)));

        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(context(10, 0, "")).subscribe(events);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            if (events.terminated()) {
                writtenAtFailure.compareAndSet(-1, written.get());
                return true;
            }
            return false;
        });

        assertThat(events.error()).isInstanceOf(ModelException.class)
                .hasMessageContaining("upstream sent a line longer than 4194368 bytes");
        assertThat(((ModelException) events.error()).code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
        assertThat(writtenAtFailure.get()).as("bytes the upstream got to send before the leg failed")
                .isLessThan(32L * 1024 * 1024);
    }

    /**
     * A resume first counts the delivered tokens ({@code POST /tokenize}); that request's timeout (the JDK's, the
     * first-token timeout) ends at the response headers, and the leg's watchdog is only started with the completion
     * request. A tokenizer answer that stalls after its headers therefore held the resume for ever: no timeout, no
     * error, no completion request; the generation never ended on this worker.
     */
    @Test
    void aResumeWhoseTokenizerAnswerStallsStillEnds() throws Exception {
        java.util.concurrent.CountDownLatch over = new java.util.concurrent.CountDownLatch(1);
        paced = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        paced.setExecutor(pacedThreads);
        paced.createContext("/tokenize", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, 100);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("{\"count\":".getBytes(StandardCharsets.UTF_8));
                out.flush();
                over.await(30, TimeUnit.SECONDS); // the rest never comes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        paced.createContext("/v1/completions", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] body = ("data: {\"choices\":[{\"text\":\" c\",\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        paced.start();
        // first-token timeout 1 s, token timeout 1 s: any stall of this leg is over well within the deadline
        backend = OpenAiBackend.start(new UpstreamSettings(URI.create("http://127.0.0.1:" + paced.getAddress().getPort()
                + "/v1"), "m", null, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(5), false, 2, ChatFormat.ROLE_TAGS));
        try {
            RecordingSubscriber events = RecordingSubscriber.unbounded();
            backend.generate(context(3, 2, " a b")).subscribe(events);

            await("the resumed leg ends, one way or another").atMost(DEADLINE).until(events::terminated);
        } finally {
            over.countDown();
        }
    }

    /**
     * vLLM's {@code POST /tokenize} answers {@code {"count": n, "max_model_len": m, "tokens": [every id]}}: about 7
     * bytes a token of the prompt. DeliveredTokens reads at most 1 MiB of it, so for a prompt of some 150 000 tokens
     * or more (a long-context model's ordinary request) the answer is cut and was no JSON any more: the resume fell
     * back to counting frames every time, though the count it needs is the answer's first field, and the resumed leg
     * asked for more tokens than were left (multi-token chunks).
     */
    @Test
    void aResumeAfterALongPromptCountsTheDeliveredTokensWithTheTokenizer() throws Exception {
        int promptTokens = 200_000;
        BlockingQueue<String> completionBodies = new LinkedBlockingQueue<>();
        paced = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        paced.setExecutor(pacedThreads);
        paced.createContext("/tokenize", exchange -> {
            String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            // the prompt alone, or with the delivered text (" a b c d": four tokens, delivered in two chunks)
            int count = request.contains(" a b c d") ? promptTokens + 4 : promptTokens;
            StringBuilder answer = new StringBuilder("{\"count\":").append(count)
                    .append(",\"max_model_len\":262144,\"tokens\":[");
            for (int i = 0; i < count; i++) {
                answer.append(i == 0 ? "" : ",").append(100_000 + i % 28_000);
            }
            byte[] body = answer.append("],\"token_strs\":null}").toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        paced.createContext("/v1/completions", exchange -> {
            completionBodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] body = ("data: {\"choices\":[{\"text\":\" e\",\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        paced.start();
        backend = OpenAiBackend.start(settings("http://127.0.0.1:" + paced.getAddress().getPort() + "/v1", false,
                Duration.ofSeconds(5)));

        RecordingSubscriber events = run(context(10, 2, " a b c d"));

        assertThat(events.error()).isNull();
        String request = completionBodies.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(request).isNotNull();
        assertThat(JsonMapper.builder().build().readTree(request).path("max_tokens").asInt())
                .as("10 tokens asked for, 4 delivered (the tokenizer's count), not 2 (the frames)").isEqualTo(6);
    }

    /**
     * A resume after the last token without stop sequences has nothing to ask: no count can change that nothing is
     * left (the count is never below the frames, which are max_tokens already) and there is no stop to look for. It
     * still counted the delivered tokens first, and with a tokenizer that is slow to answer the END, due at once,
     * waited for DeliveredTokens' 2 s.
     */
    @Test
    void aResumeAfterTheLastTokenWithoutStopsEndsWithoutWaitingForTheTokenizer() throws Exception {
        java.util.concurrent.CountDownLatch over = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger tokenizeRequests = new java.util.concurrent.atomic.AtomicInteger();
        paced = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        paced.setExecutor(pacedThreads);
        paced.createContext("/tokenize", exchange -> {
            tokenizeRequests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, 100);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("{\"count\":".getBytes(StandardCharsets.UTF_8));
                out.flush();
                over.await(30, TimeUnit.SECONDS); // a slow tokenizer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        paced.start();
        backend = OpenAiBackend.start(settings("http://127.0.0.1:" + paced.getAddress().getPort() + "/v1", false,
                Duration.ofSeconds(5)));
        try {
            RecordingSubscriber events = RecordingSubscriber.unbounded();
            backend.generate(context(3, 3, " a b c")).subscribe(events);

            await("the END of a resume after the last token").atMost(Duration.ofSeconds(1)).until(events::terminated);
            assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
            assertThat(tokenizeRequests.get()).as("tokenizer requests for nothing").isZero();
        } finally {
            over.countDown();
        }
    }

    // ---- helpers ----

    private static String tgiChunk(String text) {
        return "data:{\"id\":\"\",\"created\":1,\"choices\":[{\"index\":0,\"text\":\"" + text
                + "\",\"logprobs\":null,\"finish_reason\":\"\"}],\"model\":\"m\",\"system_fingerprint\":\"3.0-native\"}\n\n";
    }

    /** An upstream that writes {@code events} one by one, {@code gap} apart (at each tick of a timer). */
    private String pacedUpstream(Duration gap, List<String> events) throws Exception {
        BlockingQueue<Boolean> ticks = new LinkedBlockingQueue<>();
        pacer.scheduleAtFixedRate(() -> ticks.add(true), gap.toMillis(), gap.toMillis(), TimeUnit.MILLISECONDS);
        paced = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        paced.setExecutor(pacedThreads);
        paced.createContext("/v1/completions", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (String event : events) {
                    out.write(event.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    if (ticks.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS) == null) {
                        return; // no tick: the test is over
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        paced.createContext("/v1/models", exchange -> {
            byte[] body = "{\"object\":\"list\",\"data\":[{\"id\":\"m\"}]}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        paced.start();
        return "http://127.0.0.1:" + paced.getAddress().getPort() + "/v1";
    }

    private static UpstreamSettings settings(String url, boolean includeUsage, Duration tokenTimeout) {
        return new UpstreamSettings(URI.create(url), "m", null, Duration.ofSeconds(2), Duration.ofSeconds(10),
                tokenTimeout, Duration.ofSeconds(5), includeUsage, 2, ChatFormat.ROLE_TAGS);
    }

    /**
     * The error a first leg (10 tokens asked) ends with, {@code scripted} answering it {@code body} with 200 (the
     * backend started on it at the first call).
     */
    private ModelException firstLegFailure(ScriptedUpstream scripted, String body) {
        scripted.completions(200, body);
        if (backend == null) {
            backend = OpenAiBackend.start(settings(scripted.baseUrl(), false, Duration.ofSeconds(5)));
        }
        RecordingSubscriber leg = run(context(10, 0, ""));
        assertThat(leg.error()).as("finished instead: " + leg.events()).isInstanceOf(ModelException.class);
        return (ModelException) leg.error();
    }

    private RecordingSubscriber run(GenerationContext context) {
        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(context).subscribe(events);
        return events.awaitTerminal(DEADLINE);
    }

    private static GenerationContext context(int maxTokens, int resumeAfter, String delivered) {
        return new GenerationContext("gen-audit", null, "p", null, SamplingParameters.maxTokens(maxTokens), resumeAfter,
                delivered, null);
    }
}
