package io.connectionswap.protocol.log;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromptDigestTest {

    @Test
    void givesLengthAndShortHashButNeverTheText() {
        String digest = PromptDigest.of("my secret prompt");
        // `echo -n "my secret prompt" | sha256sum` starts with 234bde84
        assertThat(digest).isEqualTo("16c#234bde84").doesNotContain("secret");
    }

    @Test
    void tellsPromptsApartAndIsStable() {
        assertThat(PromptDigest.of("a")).isEqualTo(PromptDigest.of("a")).isNotEqualTo(PromptDigest.of("b"));
        assertThat(PromptDigest.of("abc")).isEqualTo("3c#ba7816bf"); // FIPS 180-2 test vector: SHA-256("abc")
        assertThat(PromptDigest.of(null)).isEqualTo("-");
    }
}
