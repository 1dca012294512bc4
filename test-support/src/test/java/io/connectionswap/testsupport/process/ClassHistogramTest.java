package io.connectionswap.testsupport.process;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClassHistogramTest {

    private static final String OUTPUT = """
            12345:
             num     #instances         #bytes  class name (module)
            -------------------------------------------------------
               1:         40000        3200000  [B (java.base@17.0.15)
               2:           103           7416  io.netty.handler.codec.quic.QuicheQuicStreamChannel
               3:             7            168  java.lang.String (java.base@17.0.15)
            Total        123456       23456789
            """;

    @Test
    void readsInstancesPerClassAndTheLiveHeap() {
        ClassHistogram histogram = ClassHistogram.parse(OUTPUT);
        assertThat(histogram.instances("io.netty.handler.codec.quic.QuicheQuicStreamChannel")).isEqualTo(103);
        assertThat(histogram.instances("java.lang.String")).isEqualTo(7);
        assertThat(histogram.instances("no.such.Class")).isZero();
        assertThat(histogram.liveBytes()).isEqualTo(23_456_789);
        assertThat(histogram.byClass()).containsOnlyKeys("[B", "io.netty.handler.codec.quic.QuicheQuicStreamChannel",
                "java.lang.String");
        assertThat(histogram.byClass().get("[B")).containsExactly(40_000, 3_200_000);
    }

    @Test
    void anOutputWithoutATotalHasNoLiveHeap() {
        ClassHistogram histogram = ClassHistogram.parse("12345:\nCould not attach\n");
        assertThat(histogram.liveBytes()).isEqualTo(-1);
        assertThat(histogram.byClass()).isEmpty();
    }
}
