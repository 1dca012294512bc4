package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.worker.config.UpstreamProperties;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class UpstreamSettingsTest {

    @Test
    void aBaseUrlLosesItsTrailingSlashAndNamesBothEndpoints() {
        UpstreamSettings settings = UpstreamSettings.from(properties("http://127.0.0.1:8000/v1/", "llama", " "));
        assertThat(settings.completionsUri()).hasToString("http://127.0.0.1:8000/v1/completions");
        assertThat(settings.modelsUri()).hasToString("http://127.0.0.1:8000/v1/models");
        assertThat(settings.apiKey()).as("a blank key is no key").isNull();
    }

    @Test
    void aMissingUrlOrModelNamesTheSetting() {
        assertThatThrownBy(() -> UpstreamSettings.from(properties(null, "llama", null)))
                .hasMessageStartingWith("CONNECTION_SWAP_UPSTREAM_URL is not set");
        assertThatThrownBy(() -> UpstreamSettings.from(properties("http://h:1/v1", " ", null)))
                .hasMessageStartingWith("CONNECTION_SWAP_UPSTREAM_MODEL is not set");
    }

    /**
     * A model name every director refuses at registration (over GenerationRequest.MAX_MODEL_CHARS, or with a control
     * character) was accepted: the worker started, its registration was refused again and again, and it ran healthy
     * and idle for good. Now the worker stops at start naming the setting and what is expected, as for its label; a
     * name of exactly the bound starts.
     */
    @Test
    void aModelNameEveryDirectorWouldRefuseStopsTheWorkerAtStart() {
        String longest = "m".repeat(GenerationRequest.MAX_MODEL_CHARS);
        assertThat(UpstreamSettings.from(properties("http://h:1/v1", longest, null)).model()).isEqualTo(longest);
        assertThatThrownBy(() -> UpstreamSettings.from(properties("http://h:1/v1", longest + "m", null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("CONNECTION_SWAP_UPSTREAM_MODEL='" + "m".repeat(64) + "...' (expected: 1 to "
                        + GenerationRequest.MAX_MODEL_CHARS + " printable characters)");
        assertThatThrownBy(() -> UpstreamSettings.from(properties("http://h:1/v1", "llama\u0007x", null)))
                .hasMessageStartingWith("CONNECTION_SWAP_UPSTREAM_MODEL='llama?x' (expected: 1 to ");
    }

    @Test
    void aMalformedUrlNamesTheSettingAndTheValue() {
        assertThatThrownBy(() -> UpstreamSettings.from(properties("127.0.0.1:8000/v1", "m", null)))
                .hasMessageStartingWith("CONNECTION_SWAP_UPSTREAM_URL=127.0.0.1:8000/v1 ")
                .hasMessageContaining("e.g. http://127.0.0.1:8000/v1");
        assertThatThrownBy(() -> UpstreamSettings.from(properties("localhost:8000/v1", "m", null)))
                .hasMessageStartingWith("CONNECTION_SWAP_UPSTREAM_URL=localhost:8000/v1 (expected: an http:// or https:// URL");
        assertThatThrownBy(() -> UpstreamSettings.from(properties("ftp://host/v1", "m", null)))
                .hasMessageContaining("expected: an http:// or https:// URL");
        assertThatThrownBy(() -> UpstreamSettings.from(properties("http://host:80/v1 x", "m", null)))
                .hasMessageContaining("is not a URL");
        assertThatThrownBy(() -> UpstreamSettings.from(properties("http://host/v1?a=b", "m", null)))
                .hasMessageContaining("without query or fragment");
    }

    @Test
    void aZeroTimeoutNamesTheSetting() {
        UpstreamProperties zero = new UpstreamProperties("http://h/v1", "m", null, Duration.ofSeconds(5), Duration.ZERO,
                Duration.ofSeconds(30), Duration.ofSeconds(2), true, 2, "role-tags");
        assertThatThrownBy(() -> UpstreamSettings.from(zero))
                .hasMessage("CONNECTION_SWAP_UPSTREAM_FIRST_TOKEN_TIMEOUT=PT0S (expected: > 0)");
    }

    private static UpstreamProperties properties(String url, String model, String key) {
        return new UpstreamProperties(url, model, key, Duration.ofSeconds(5), Duration.ofSeconds(60),
                Duration.ofSeconds(30), Duration.ofSeconds(2), true, 2, "role-tags");
    }
}
