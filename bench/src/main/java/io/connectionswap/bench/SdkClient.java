package io.connectionswap.bench;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import java.util.Iterator;

/**
 * The official OpenAI Java SDK ({@code com.openai:openai-java}, OkHttp) reading one streamed completion into a
 * {@link CompletionStream}, with its defaults: what an application sees. "Noticed" is an exception out of the
 * SDK's stream; the SDK does not expose {@code [DONE]}.
 */
final class SdkClient implements AutoCloseable {

    private final OpenAIClient sdk;

    SdkClient(String baseUrl) {
        this.sdk = OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey("not-checked").build();
    }

    /** Blocks until the stream ended; {@code stream} records what arrived and how it ended. */
    void read(CompletionStream stream) {
        stream.sent(System.nanoTime());
        CompletionCreateParams params = CompletionCreateParams.builder().model(stream.model).prompt(stream.prompt)
                .maxTokens(stream.maxTokens).build();
        try (StreamResponse<Completion> response = sdk.completions().createStreaming(params)) {
            stream.status(200);
            Iterator<Completion> chunks = response.stream().iterator();
            while (chunks.hasNext()) {
                Completion chunk = chunks.next();
                long now = System.nanoTime();
                if (chunk.choices().isEmpty()) {
                    continue;
                }
                CompletionChoice choice = chunk.choices().get(0);
                choice._finishReason().asKnown().ifPresent(reason -> stream.finishReason = reason.toString());
                String text = choice.text();
                if (!text.isEmpty()) {
                    stream.chunk(text, now);
                }
            }
            stream.done = true; // the SDK's stream ended without an exception
        } catch (RuntimeException e) {
            stream.transportFailed(e);
        } finally {
            stream.ended(System.nanoTime());
        }
    }

    @Override
    public void close() {
        sdk.close();
    }
}
