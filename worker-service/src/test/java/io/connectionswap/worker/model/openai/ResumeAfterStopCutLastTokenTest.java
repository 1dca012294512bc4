package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.worker.model.RecordingSubscriber;
import io.connectionswap.worker.model.openai.ScriptedUpstream.Answer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A generation whose last token (token {@code maxTokens}) completed a stop sequence: an OpenAI-compatible server
 * (vLLM, SGLang) sends the part of that token before the stop with {@code finish_reason: "stop"}. When the worker
 * fails after relaying that TOKEN and before END, the client resumes after token {@code maxTokens}: nothing is left
 * to generate, and the resumed leg must end as the unbroken one did, with {@code stop} ({@link StopAfterLastToken}
 * asks the upstream what follows). The openai backend used to finish with {@code length} without looking.
 */
class ResumeAfterStopCutLastTokenTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private static final String PROMPT = "p";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private OpenAiBackend backend;
    private ScriptedUpstream upstream;

    @AfterEach
    void stop() {
        if (backend != null) {
            backend.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void aResumeAfterALastTokenCutAtAStopFinishesWithStopLikeTheUnbrokenGeneration() {
        SamplingParameters sampling = new SamplingParameters(3, 0.0, null, List.of("END"), null, null);
        backend = OpenAiBackendTest.backend(upstreamUrl(), settings -> settings);

        RecordingSubscriber unbroken = run(new GenerationContext("gen-1", null, PROMPT, null, sampling, 0, "", null));
        assertThat(unbroken.error()).isNull();
        assertThat(unbroken.text()).isEqualTo("a b foo");
        assertThat(unbroken.finished().reason()).as("the unbroken generation").isEqualTo(FinishReason.STOP);

        // the worker failed after TOKEN 3 and before END: the client resumes after 3 with the same text
        RecordingSubscriber resumed = run(new GenerationContext("gen-1", null, PROMPT, null, sampling, 3,
                unbroken.text(), null));

        assertThat(resumed.error()).isNull();
        assertThat(resumed.texts()).as("nothing beyond max_tokens").isEmpty();
        assertThat(resumed.finished().reason())
                .as("the resumed generation must end like the unbroken one: its last token ended at a stop")
                .isEqualTo(FinishReason.STOP);
    }

    @Test
    void aResumeAfterALastTokenNotAtAStopFinishesWithLength() {
        SamplingParameters sampling = new SamplingParameters(3, 0.0, null, List.of("words"), null, null);
        backend = OpenAiBackendTest.backend(upstreamUrl(), settings -> settings);

        RecordingSubscriber unbroken = run(new GenerationContext("gen-2", null, PROMPT, null, sampling, 0, "", null));
        assertThat(unbroken.text()).isEqualTo("a b fooEND");
        assertThat(unbroken.finished().reason()).as("the unbroken generation").isEqualTo(FinishReason.LENGTH);

        RecordingSubscriber resumed = run(new GenerationContext("gen-2", null, PROMPT, null, sampling, 3,
                unbroken.text(), null));

        assertThat(resumed.error()).isNull();
        assertThat(resumed.texts()).as("nothing beyond max_tokens").isEmpty();
        assertThat(resumed.finished().reason()).as("\" more words\" follows: no stop at the end").isEqualTo(FinishReason.LENGTH);
    }

    /**
     * A greedy vLLM-like upstream: after PROMPT its tokens are "a", " b", " foo", "END", " more", ...; a stop
     * sequence cuts the token that completes it (the part before the stop is sent with finish_reason "stop").
     */
    private String upstreamUrl() {
        try {
            upstream = new ScriptedUpstream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        upstream.answering("/v1/completions", request -> {
            JsonNode body = JSON.readTree(request.body());
            String text = body.path("prompt").asString();
            int maxTokens = body.path("max_tokens").asInt();
            List<String> stops = new ArrayList<>();
            body.path("stop").forEach(stop -> stops.add(stop.asString()));
            boolean stream = body.path("stream").asBoolean(false);
            StringBuilder out = new StringBuilder();
            String generated = "";
            String finish = "length";
            int produced = 0;
            for (; produced < maxTokens; produced++) {
                String token = next(text + generated);
                String cut = null;
                for (String stop : stops) {
                    int at = (generated + token).indexOf(stop);
                    if (at >= 0) {
                        cut = token.substring(0, Math.max(0, at - generated.length()));
                    }
                }
                if (cut != null) {
                    out.append(chunk(cut, "stop"));
                    generated += cut;
                    produced++;
                    finish = null;
                    break;
                }
                generated += token;
                out.append(chunk(token, null));
            }
            if (!stream) { // as vLLM answers "stream": false: the whole text in one completion
                return new Answer(200, "application/json", "{\"choices\":[{\"index\":0,\"text\":"
                        + JSON.writeValueAsString(generated) + ",\"finish_reason\":\""
                        + (finish == null ? "stop" : finish) + "\"}]}");
            }
            if (finish != null) {
                out.append(chunk("", finish));
            }
            out.append("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":")
                    .append(produced).append(",\"total_tokens\":").append(produced + 1).append("}}\n\n");
            out.append("data: [DONE]\n\n");
            return new Answer(200, "text/event-stream", out.toString());
        });
        return upstream.baseUrl();
    }

    private static String next(String text) {
        List<String> tokens = List.of("a", " b", " fooEND", " more", " words", " here");
        String after = text.substring(PROMPT.length());
        String sofar = "";
        for (String token : tokens) {
            if (after.equals(sofar)) {
                return token;
            }
            if (after.startsWith(sofar + token)) {
                sofar += token;
            } else if (token.startsWith(after.substring(sofar.length()))) {
                // the text ends inside this token (a prefix of it was delivered): the rest of it comes next
                return token.substring(after.length() - sofar.length());
            }
        }
        return " and";
    }

    private static String chunk(String text, String finish) {
        return "data: {\"choices\":[{\"index\":0,\"text\":" + JSON.writeValueAsString(text)
                + ",\"finish_reason\":" + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
    }

    private RecordingSubscriber run(GenerationContext context) {
        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(context).subscribe(events);
        return events.awaitTerminal(DEADLINE);
    }
}
