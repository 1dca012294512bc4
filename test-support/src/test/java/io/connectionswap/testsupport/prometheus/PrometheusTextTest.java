package io.connectionswap.testsupport.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

    /** The shape of a Spring Boot / Micrometer scrape: HELP and TYPE lines, a labelled counter, a histogram, a gauge. */
    private static final String SCRAPE = """
            # HELP connection_swap_swaps_total Streams moved to another worker
            # TYPE connection_swap_swaps_total counter
            connection_swap_swaps_total{reason="stall",worker="worker-a"} 2.0
            connection_swap_swaps_total{reason="drain",worker="worker-a"} 1.0
            connection_swap_swaps_total{reason="stall",worker="worker-b"} 3.0
            # HELP connection_swap_gap_seconds Time from the failure to the next token
            # TYPE connection_swap_gap_seconds histogram
            connection_swap_gap_seconds_bucket{le="0.05"} 1
            connection_swap_gap_seconds_bucket{le="0.5"} 4
            connection_swap_gap_seconds_bucket{le="+Inf"} 6
            connection_swap_gap_seconds_count 6
            connection_swap_gap_seconds_sum 1.25E0
            # TYPE process_start_time_seconds gauge
            process_start_time_seconds 1.7E9
            jvm_gc_overhead NaN
            """;

    @Test
    void readsCountersHistogramsAndGauges() {
        PrometheusText text = PrometheusText.parse(SCRAPE);

        assertThat(text.sum("connection_swap_swaps_total")).isEqualTo(6.0);
        assertThat(text.sum("connection_swap_swaps_total", "reason", "stall")).isEqualTo(5.0);
        assertThat(text.sum("connection_swap_swaps_total",
                labels -> "stall".equals(labels.get("reason")) && "worker-b".equals(labels.get("worker")))).isEqualTo(3.0);
        assertThat(text.samples("connection_swap_gap_seconds_bucket"))
                .extracting(sample -> sample.labels().get("le"), PrometheusText.Sample::value)
                .containsExactly(tuple("0.05", 1.0), tuple("0.5", 4.0), tuple("+Inf", 6.0));
        assertThat(text.sum("connection_swap_gap_seconds_count")).isEqualTo(6.0);
        assertThat(text.sum("connection_swap_gap_seconds_sum")).isEqualTo(1.25);
        assertThat(text.sum("process_start_time_seconds")).isEqualTo(1.7e9);
        assertThat(text.sum("jvm_gc_overhead")).isNaN();
        assertThat(text.names()).containsExactly("connection_swap_gap_seconds_bucket", "connection_swap_gap_seconds_count",
                "connection_swap_gap_seconds_sum", "connection_swap_swaps_total", "jvm_gc_overhead",
                "process_start_time_seconds");
        assertThat(text.samples()).hasSize(10);
        assertThat(text.has("connection_swap_swaps_total")).isTrue();
        assertThat(text.has("connection_swap_gap_seconds")).as("a histogram is exposed by its parts").isFalse();
    }

    @Test
    void labelsKeepTheirOrderAndTheirValuesAreUnescaped() {
        PrometheusText text = PrometheusText.parse("""
                http_server_requests_seconds_count{uri="/v1/completions",exception="none",method="POST"} 3
                odd{path="a \\"quoted\\" value, with a comma",next="x\\\\y\\nz",brace="}{ ",tricky="a,b=\\"c"} 1
                spaced{ a = "1" , b="2", } 4
                """);

        assertThat(text.samples("http_server_requests_seconds_count").get(0).labels().keySet())
                .containsExactly("uri", "exception", "method");
        assertThat(text.samples("odd").get(0).labels()).isEqualTo(Map.of(
                "path", "a \"quoted\" value, with a comma",
                "next", "x\\y\nz",
                "brace", "}{ ",
                "tricky", "a,b=\"c"));
        assertThat(text.samples("odd").get(0).labels().keySet()).containsExactly("path", "next", "brace", "tricky");
        assertThat(text.samples("spaced")).singleElement().satisfies(sample -> {
            assertThat(sample.labels()).isEqualTo(Map.of("a", "1", "b", "2"));
            assertThat(sample.value()).isEqualTo(4.0);
        });
    }

    @Test
    void infinitiesNanTimestampsAndExemplars() {
        PrometheusText text = PrometheusText.parse("""
                up 1 1712345678000
                a{le="+Inf"} +Inf
                b -Inf
                c NaN
                d 1.5e-3
                e{trace="t"} 7 # {trace_id="4bf92f3577b34da6"} 0.25 1712345678.5
                # EOF
                """);

        assertThat(text.sum("up")).as("a timestamp after the value is not the value").isEqualTo(1.0);
        assertThat(text.sum("a")).isPositive().isInfinite();
        assertThat(text.sum("b")).isNegative().isInfinite();
        assertThat(text.sum("c")).isNaN();
        assertThat(text.sum("d")).isEqualTo(0.0015);
        assertThat(text.sum("e")).as("the exemplar's value is not the sample's").isEqualTo(7.0);
        assertThat(text.samples("e").get(0).labels()).isEqualTo(Map.of("trace", "t"));
    }

    @Test
    void blankLinesCommentsAndCarriageReturnsAreSkipped() {
        PrometheusText text = PrometheusText.parse("# a comment\r\n\r\n  \nx 1\r\n#x 5\ny{a=\"b\"} 2\r\n");

        assertThat(text.samples()).extracting(PrometheusText.Sample::name).containsExactly("x", "y");
        assertThat(text.sum("x")).isEqualTo(1.0);
        assertThat(PrometheusText.parse("").samples()).isEmpty();
    }

    @Test
    void aMissingMetricSumsToZeroUnlessItIsRequired() {
        PrometheusText text = PrometheusText.parse("connection_swap_client_tokens_total 41.0\n");

        assertThat(text.sum("connection_swap_client_swaps_total")).isZero();
        assertThat(text.samples("connection_swap_client_swaps_total")).isEmpty();
        assertThat(text.requireCount("connection_swap_client_tokens_total")).isEqualTo(41L);
        assertThat(text.requireSum("connection_swap_client_tokens_total")).isEqualTo(41.0);
        assertThatThrownBy(() -> text.requireSum("connection_swap_client_swaps_total"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("metric connection_swap_client_swaps_total is not exposed");
    }

    @Test
    void aBrokenLineFailsWithItsNumber() {
        assertThatThrownBy(() -> PrometheusText.parse("ok 1\nbroken{a=\"x\" 1\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("broken{a=\"x\" 1");
        assertThatThrownBy(() -> PrometheusText.parse("name_only\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no value");
        assertThatThrownBy(() -> PrometheusText.parse("x{a=\"unclosed} 1\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no closing quote");
        assertThatThrownBy(() -> PrometheusText.parse("x{a=1} 1\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected '\"'");
        assertThatThrownBy(() -> PrometheusText.parse("x twelve\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value 'twelve' is not a number");
    }

    @Test
    void valuesAsTheHttpApiWritesThem() {
        assertThat(List.of("1", "0.5", "+Inf", "-Inf", "2E3")).extracting(PrometheusText::parseValue)
                .containsExactly(1.0, 0.5, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 2000.0);
        assertThat(PrometheusText.parseValue("NaN")).isNaN();
        assertThatThrownBy(() -> PrometheusText.parseValue("")).isInstanceOf(IllegalArgumentException.class);
    }
}
