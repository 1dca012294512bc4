package io.connectionswap.protocol.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DeterministicTokenModelTest {

    private final DeterministicTokenModel model = new DeterministicTokenModel();

    @Test
    void tokenIsAPureFunctionOfPromptAndSequence() {
        DeterministicTokenModel other = new DeterministicTokenModel();
        for (int sequence = 1; sequence <= 100; sequence++) {
            assertThat(model.token("prompt-1", sequence)).isEqualTo(other.token("prompt-1", sequence));
        }
    }

    @Test
    void differentPromptsGiveDifferentText() {
        assertThat(model.text("prompt-1", 1, 30)).isNotEqualTo(model.text("prompt-2", 1, 30));
    }

    @Test
    void textIsTheConcatenationOfItsTokensSoAnyWorkerCanContinue() {
        String whole = model.text("prompt-7", 1, 30);
        assertThat(model.text("prompt-7", 1, 12) + model.text("prompt-7", 13, 30)).isEqualTo(whole);
        assertThat(whole.split(" ")).hasSize(30);
    }

    @Test
    void sequenceStartsAtOne() {
        assertThatThrownBy(() -> model.token("p", 0)).hasMessageContaining("expected: > 0");
    }
}
