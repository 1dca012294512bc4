package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.message.GenerationRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

/**
 * vLLM's and SGLang's chat extension {@code "continue_final_message": true} (with {@code "add_generation_prompt":
 * false}) asks the model to continue the last, assistant, message: a prefilled answer ("The capital of France is").
 * The gateway ignored both fields, and every chat format ({@code ChatTemplate}, {@code ChatFormat}) closes the final
 * message and opens a new assistant turn: the client got a new answer after its prefix instead of the prefix's
 * continuation, and read it as if its request had been honoured. The gateway must either refuse it by name
 * ({@code unsupported_parameter}, as it does for echo, suffix, logprobs) or render the final assistant message open,
 * so that the model (and a resume: prompt + delivered text) continues it; it refuses it.
 */
class ContinueFinalMessageTest {

    private final OpenAiRequestParser parser = new OpenAiRequestParser(16, 1000);

    @Test
    void aRequestToContinueTheFinalAssistantMessageIsRefusedOrHonoured() {
        String json = "{\"model\":\"stand-in\",\"messages\":[{\"role\":\"user\",\"content\":\"Capital of France?\"},"
                + "{\"role\":\"assistant\",\"content\":\"The capital of France is\"}],"
                + "\"continue_final_message\":true,\"add_generation_prompt\":false,\"max_tokens\":5}";
        OpenAiRequest request;
        try {
            request = parser.parse(json.getBytes(StandardCharsets.UTF_8), true);
        } catch (GatewayError refused) {
            assertThat(refused.status()).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(refused.code()).isEqualTo("unsupported_parameter");
            assertThat(refused.param()).isEqualTo("continue_final_message");
            return;
        }
        GenerationRequest generation = request.toGeneration("g-1");
        assertThat(generation.promptText())
                .as("served, the model must continue the assistant's prefix, not answer anew after it")
                .endsWith("The capital of France is");
    }

    @Test
    void noGenerationPromptAloneIsRefusedByName() {
        String json = "{\"model\":\"stand-in\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"add_generation_prompt\":false}";
        assertThatThrownBy(() -> parser.parse(json.getBytes(StandardCharsets.UTF_8), true))
                .isInstanceOfSatisfying(GatewayError.class, refused -> {
                    assertThat(refused.code()).isEqualTo("unsupported_parameter");
                    assertThat(refused.param()).isEqualTo("add_generation_prompt");
                });
    }
}
