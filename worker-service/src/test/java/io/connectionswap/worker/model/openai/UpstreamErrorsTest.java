package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.model.ModelException;
import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * A failure's message leaves the worker (director, client, the gateway's JSON error body): it says what happened,
 * quotes the upstream's own words within a bound, and never names the upstream's address, which only the worker's
 * log shows ({@link ModelException#upstream()}).
 */
class UpstreamErrorsTest {

    private static final URI URI_ = URI.create("http://vllm-7.internal:8000/v1/completions");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final UpstreamErrors errors = new UpstreamErrors(URI_);

    @Test
    void aStatusSaysWhatHappenedWithTheUpstreamsMessageAndNotTheUrl() {
        ModelException failure = errors.forStatus(400, "{\"error\":{\"message\":\"max_tokens is too large\"}}", JSON);

        assertThat(failure.code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED);
        assertThat(failure).hasMessage("upstream answered HTTP 400: max_tokens is too large");
        assertThat(failure.upstream()).isEqualTo("http://vllm-7.internal:8000/v1/completions");
    }

    @Test
    void theUpstreamsOwnWordsLoseItsAddress() {
        String page = "<html>502 Bad Gateway: http://vllm-7.internal:8000/v1/completions did not answer "
                + "(vllm-7.internal:8000, VLLM-7.INTERNAL)</html>";

        ModelException failure = errors.forStatus(502, page, JSON);

        assertThat(failure.getMessage()).doesNotContainIgnoringCase("vllm-7.internal").doesNotContain("8000")
                .contains("<upstream> did not answer (<upstream>, <upstream>)");
    }

    @Test
    void theUpstreamsOwnWordsAreBounded() {
        String huge = "{\"error\":{\"message\":\"" + "x".repeat(8000) + " vllm-7.internal\"}}";

        String message = errors.forStatus(400, huge, JSON).getMessage();

        assertThat(message).startsWith("upstream answered HTTP 400: xxx").endsWith("...")
                .hasSize("upstream answered HTTP 400: ".length() + 300 + 3);
        assertThat(errors.forStreamError(JSON.readTree("{\"message\":\"" + "y".repeat(5000) + "\",\"code\":400}"), 2)
                .getMessage()).hasSizeLessThan(400);
    }

    @Test
    void anExceptionsMessageLosesTheAddressToo() {
        ModelException refused = errors.forException(new CompletionException(
                new ConnectException("Connection refused: vllm-7.internal/10.0.0.7:8000")), Duration.ofSeconds(5));

        assertThat(refused.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
        assertThat(refused).hasMessage("cannot connect to upstream: Connection refused: <upstream>/<upstream>");
        assertThat(refused.upstream()).isEqualTo(URI_.toString());
        assertThat(errors.forBrokenStream(new java.io.IOException("reset by http://vllm-7.internal:8000/v1"), 3))
                .hasMessage("upstream stream broke after 3 tokens: IOException: reset by <upstream>/v1");
    }

    @Test
    void onlyTheWholeHostNameIsTakenOut() {
        UpstreamAddressFilter filter = new UpstreamAddressFilter(URI.create("http://vllm:8000/v1"));

        assertThat(filter.filter("vllm says no; myvllm and vllm-2 and vllm.other are others; vllm."))
                .isEqualTo("<upstream> says no; myvllm and vllm-2 and vllm.other are others; <upstream>.");
        assertThat(filter.filter("from 10.1.2.3:8000 and 192.168.0.9, not version 1.2.3"))
                .isEqualTo("from <upstream> and <upstream>, not version 1.2.3");
        assertThat(filter.filter(null)).isNull();
    }

    @Test
    void anIpv6AddressIsTakenOutInEveryWayItIsWritten() {
        UpstreamAddressFilter filter = new UpstreamAddressFilter(URI.create("http://[fd00::7]:8000/v1/completions"));

        assertThat(filter.filter("refused: http://[fd00::7]:8000/v1/completions, [FD00::7]:8000"))
                .isEqualTo("refused: <upstream>, <upstream>");
        assertThat(filter.filter("vllm.internal/[fd00:0:0:0:0:0:0:7]:8000 and fd00:0:0:0:0:0:0:7:8000 and fd00::8."))
                .isEqualTo("vllm.internal/<upstream> and <upstream> and <upstream>.");
        assertThat(filter.filter("from ::1 via fe80::1%eth0 and ::ffff:10.0.0.7"))
                .isEqualTo("from <upstream> via <upstream> and ::ffff:<upstream>");
        assertThat(filter.filter("at 10:32:09, Model::generate, dead:beef")).isEqualTo("at 10:32:09, Model::generate, dead:beef");
    }
}
