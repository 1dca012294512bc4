package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Usage;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

class CompletionChunkTest {

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void aTokenChunk() {
        CompletionChunk chunk = parse("{\"choices\":[{\"index\":0,\"text\":\" hello\",\"finish_reason\":null}]}");
        assertThat(chunk.isToken()).isTrue();
        assertThat(chunk.text()).isEqualTo(" hello");
        assertThat(chunk.finishReason()).isNull();
    }

    @Test
    void anEmptyTextIsStillATokenUnlessItComesWithTheFinishReason() {
        assertThat(parse("{\"choices\":[{\"text\":\"\",\"finish_reason\":null}]}").isToken()).isTrue();
        CompletionChunk last = parse("{\"choices\":[{\"text\":\"\",\"finish_reason\":\"length\"}]}");
        assertThat(last.isToken()).isFalse();
        assertThat(last.finishReason()).isEqualTo("length");
        CompletionChunk lastWithText = parse("{\"choices\":[{\"text\":\" end\",\"finish_reason\":\"stop\"}]}");
        assertThat(lastWithText.isToken()).isTrue();
        assertThat(lastWithText.finishReason()).isEqualTo("stop");
    }

    @Test
    void usageInAChunkWithoutChoices() {
        CompletionChunk chunk = parse("{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}");
        assertThat(chunk.isToken()).isFalse();
        assertThat(chunk.usage()).isEqualTo(new Usage(5, 7));
    }

    @Test
    void theModelTheUpstreamNames() {
        assertThat(parse("{\"model\":\"qwen-7b\",\"choices\":[{\"text\":\" a\"}]}").model()).isEqualTo("qwen-7b");
        assertThat(parse("{\"choices\":[{\"text\":\" a\"}]}").model()).isNull();
    }

    @Test
    void theDoneMarker() {
        assertThat(parse("[DONE]").done()).isTrue();
        assertThat(parse(" [DONE] ").done()).isTrue();
    }

    @Test
    void errorsInTheStreamAreMappedByTheirCode() {
        UpstreamErrors errors = new UpstreamErrors(java.net.URI.create("http://127.0.0.1:8000/v1/completions"));
        CompletionChunk wrapped = parse("{\"error\":{\"message\":\"too long\",\"type\":\"BadRequestError\",\"code\":400}}");
        assertThat(errors.forStreamError(wrapped.error(), 0).code()).as("before the first token: the request's fault")
                .isEqualTo(ErrorCode.UPSTREAM_REJECTED);
        assertThat(errors.forStreamError(wrapped.error(), 3).code())
                .as("after a token the request was taken: vLLM says 400 for any failure in a started stream")
                .isEqualTo(ErrorCode.UPSTREAM_FAILED);
        CompletionChunk internal = parse("{\"object\":\"error\",\"message\":\"engine died\",\"code\":500}");
        assertThat(errors.forStreamError(internal.error(), 3))
                .hasMessage("upstream sent an error after 3 tokens (code 500): engine died")
                .extracting(e -> e.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
    }

    @Test
    void notJsonIsAnError() {
        assertThatThrownBy(() -> parse("{not json")).isInstanceOf(JacksonException.class);
    }

    @Test
    void anEventThatSaysItIsAnErrorIsAnErrorWhateverItsData() {
        assertThat(CompletionChunk.parseError("{\"error\":{\"code\":400,\"message\":\"too long\"}}", json).error())
                .as("an error chunk: its error object")
                .isEqualTo(json.readTree("{\"code\":400,\"message\":\"too long\"}"));
        assertThat(CompletionChunk.parseError("{\"type\":\"error\",\"message\":\"crashed\"}", json).error())
                .as("another object: itself").isEqualTo(json.readTree("{\"type\":\"error\",\"message\":\"crashed\"}"));
        assertThat(CompletionChunk.parseError("{\"a\":1}\n{\"b\":2}", json).error().path("message").asString())
                .as("not JSON: the text").isEqualTo("{\"a\":1}\n{\"b\":2}");
        assertThat(CompletionChunk.parseError("\"overloaded\"", json).error().path("message").asString())
                .as("a JSON string: its value").isEqualTo("overloaded");
        assertThat(CompletionChunk.parseError("[DONE]", json).done()).isFalse();
    }

    private CompletionChunk parse(String data) {
        return CompletionChunk.parse(data, json);
    }
}
