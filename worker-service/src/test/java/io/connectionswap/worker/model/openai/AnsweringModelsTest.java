package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.worker.model.RecordingSubscriber;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An upstream that answers as another model than asked: one WARN per distinct pair, and the generation goes on. */
class AnsweringModelsTest {

    private static final String WARNING = "upstream answered with another model than asked";

    @Test
    void oneWarningPerDistinctPairAndNoneForTheModelAsked() {
        AnsweringModels models = new AnsweringModels(URI.create("http://127.0.0.1:8000/v1/completions"));
        try (CapturedLogs logs = CapturedLogs.of(AnsweringModels.class)) {
            models.answered("qwen", "qwen");
            models.answered("qwen", null);
            models.answered("qwen", "llama");
            models.answered("qwen", "llama");
            models.answered("qwen", "mistral");

            List<ILoggingEvent> warnings = warnings(logs);
            assertThat(warnings).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                    "model=qwen upstream.model=llama upstream.url=http://127.0.0.1:8000/v1/completions " + WARNING
                            + "; generating on (check CONNECTION_SWAP_UPSTREAM_MODEL and the upstream's model names)",
                    "model=qwen upstream.model=mistral upstream.url=http://127.0.0.1:8000/v1/completions " + WARNING
                            + "; generating on (check CONNECTION_SWAP_UPSTREAM_MODEL and the upstream's model names)");
            assertThat(warnings).allSatisfy(event -> assertThat(event.getLevel()).isEqualTo(Level.WARN));
        }
    }

    @Test
    void anUpstreamNamingANewModelEveryTimeIsWarnedAboutABoundedNumberOfTimes() {
        AnsweringModels models = new AnsweringModels(URI.create("http://127.0.0.1:8000/v1/completions"));
        try (CapturedLogs logs = CapturedLogs.of(AnsweringModels.class)) {
            for (int i = 0; i < 1000; i++) {
                models.answered("qwen", "model-" + i);
            }
            assertThat(warnings(logs)).hasSize(AnsweringModels.MAX_PAIRS);
        }
    }

    @Test
    void aGenerationAnsweredByAnotherModelGoesOnWithOneWarningPerWorker() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream();
             CapturedLogs logs = CapturedLogs.of(AnsweringModels.class)) {
            scripted.completions(200, "data: {\"model\":\"other-model\",\"choices\":[{\"text\":\" a\",\"finish_reason\":null}]}\n\n"
                    + "data: {\"model\":\"other-model\",\"choices\":[{\"text\":\" b\",\"finish_reason\":\"length\"}]}\n\n"
                    + "data: [DONE]\n\n");
            try (OpenAiBackend backend = OpenAiBackendTest.backend(scripted.baseUrl(), settings -> settings)) {
                for (int i = 0; i < 3; i++) {
                    RecordingSubscriber events = RecordingSubscriber.unbounded();
                    backend.generate(new GenerationContext("gen-" + i, null, "p", null, SamplingParameters.maxTokens(2),
                            0, "", null)).subscribe(events);
                    events.awaitTerminal(Duration.ofSeconds(20));
                    assertThat(events.error()).isNull();
                    assertThat(events.texts()).containsExactly(" a", " b");
                }
            }
            assertThat(warnings(logs)).singleElement().satisfies(event -> assertThat(event.getFormattedMessage())
                    .startsWith("model=greedy-1 upstream.model=other-model upstream.url=" + scripted.baseUrl()));
        }
    }

    private static List<ILoggingEvent> warnings(CapturedLogs logs) {
        return logs.events().stream().filter(event -> event.getFormattedMessage().contains(WARNING)).toList();
    }
}
