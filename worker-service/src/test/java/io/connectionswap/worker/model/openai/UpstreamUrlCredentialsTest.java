package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.worker.config.UpstreamProperties;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code CONNECTION_SWAP_UPSTREAM_URL=https://user:s3cret@llm.example.com/v1} was accepted as it is: the JDK HTTP
 * client sends no credentials from a URI's user info, and the URL, password included, was written at INFO and WARN
 * as {@code upstream.url}. It is refused at start, pointing to {@code CONNECTION_SWAP_UPSTREAM_API_KEY}, and no
 * message repeats the password.
 */
class UpstreamUrlCredentialsTest {

    @Test
    void aUrlWithCredentialsIsRefusedWithoutRepeatingThem() {
        UpstreamProperties properties = new UpstreamProperties("https://user:s3cret@llm.example.com/v1", "llama", null,
                Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(2), true, 2,
                "role-tags");

        assertThatThrownBy(() -> UpstreamSettings.from(properties)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_UPSTREAM_URL=https://***@llm.example.com/v1")
                .hasMessageContaining("CONNECTION_SWAP_UPSTREAM_API_KEY").hasMessageNotContaining("s3cret");
        // a URL that does not parse is not repeated with its credentials either
        assertThatThrownBy(() -> UpstreamSettings.parseBase("https://user:s3cret@llm example.com/v1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("s3cret");
    }
}
