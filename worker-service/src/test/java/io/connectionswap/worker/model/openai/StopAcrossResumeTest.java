package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.GenerationContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class StopAcrossResumeTest {

    @Test
    void aStopBegunInTheDeliveredTextIsFoundWhereItEndsEvenTwoTokensLater() {
        StopAcrossResume watch = StopAcrossResume.of(resume("the stream goes o", List.of("on and on")));

        assertThat(watch.completedBy("n and")).isFalse();
        assertThat(watch.completedBy(" on again")).isTrue();
    }

    @Test
    void aStopWhollyInTheLegIsLeftToTheUpstream() {
        StopAcrossResume watch = StopAcrossResume.of(resume("the stream goes", List.of("xyz")));

        assertThat(watch.completedBy(" xyz")).as("the upstream finds this one").isFalse();
    }

    @Test
    void aNewGenerationOrOneWithoutStopsNeverMatches() {
        GenerationContext fresh = new GenerationContext("g", null, "prompt", null,
                new SamplingParameters(10, null, null, List.of("ab"), null, null), 0, "", null);
        assertThat(StopAcrossResume.of(fresh).completedBy("ab")).isFalse();
        assertThat(StopAcrossResume.of(resume("xa", List.of())).completedBy("b")).isFalse();
    }

    private static GenerationContext resume(String delivered, List<String> stops) {
        return new GenerationContext("g", null, "prompt", null, new SamplingParameters(10, null, null, stops, null, null),
                3, delivered, null);
    }
}
