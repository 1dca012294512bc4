package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.swapclient.GenerationException;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

/**
 * What an HTTP caller reads of a failed generation: the gateway's own words for a failure that is not the request's
 * fault (never the library's or the director's text, which names internal addresses, certificates and exceptions),
 * the text of a request fault as it came, and the whole text kept for the log. Status, type and code are OpenAI's
 * error JSON as before.
 */
class GatewayErrorTest {

    private static final String NO_DIRECTOR_DETAIL = "no connection to a director within PT1S: cannot reach "
            + "director at 10.1.2.3:61000: javax.net.ssl.SSLHandshakeException: No subject alternative names "
            + "matching IP address 10.1.2.3 found (CN=director.internal)";
    private static final String MIGRATION_DETAIL = "generation moved 3 times, the most allowed "
            + "(CONNECTION_SWAP_MIGRATION_LIMIT=3); last failure: stream_error on worker-a: cannot open stream to "
            + "worker: io.netty.channel.ConnectTimeoutException: connection timed out: /10.1.2.4:62001";

    @Test
    void noConnectionToADirectorSaysSoWithoutTheDirectorsAddressOrTheTlsProblem() {
        GatewayError error = GatewayError.of(failure(ErrorCode.NO_HEALTHY_WORKER, NO_DIRECTOR_DETAIL), "stand-in",
                false, 2);

        assertThat(error.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(error.type()).isEqualTo("service_unavailable_error");
        assertThat(error.code()).isEqualTo("no_healthy_worker");
        assertThat(error.retryAfterSeconds()).isEqualTo(2);
        assertThat(error.getMessage()).isEqualTo("the gateway has no connection to a director; retry later");
        assertThat(error.operatorDetail()).as("the log keeps it all").isEqualTo(NO_DIRECTOR_DETAIL);
    }

    @Test
    void failuresThatAreNotTheRequestsFaultAreToldInTheGatewaysWords() {
        record Case(ErrorCode code, HttpStatus status, String wire, String says) { }
        for (Case expected : java.util.List.of(
                new Case(ErrorCode.NO_HEALTHY_WORKER, HttpStatus.SERVICE_UNAVAILABLE, "no_healthy_worker",
                        "no healthy worker"),
                new Case(ErrorCode.SHUTTING_DOWN, HttpStatus.SERVICE_UNAVAILABLE, "no_healthy_worker", "shutting down"),
                new Case(ErrorCode.OVERLOADED, HttpStatus.SERVICE_UNAVAILABLE, "no_healthy_worker", "limit"),
                // the gateway's client closed: the gateway shuts down, another replica (or this one, restarted) serves
                new Case(ErrorCode.CANCELLED, HttpStatus.SERVICE_UNAVAILABLE, "shutting_down", "shutting down"),
                new Case(ErrorCode.MIGRATION_LIMIT, HttpStatus.BAD_GATEWAY, "migration_limit", "migration limit"),
                new Case(ErrorCode.UPSTREAM_FAILED, HttpStatus.BAD_GATEWAY, "upstream_failed", "model server"),
                new Case(ErrorCode.STREAM_TIMEOUT, HttpStatus.INTERNAL_SERVER_ERROR, "stream_timeout", "X-Request-Id"),
                new Case(ErrorCode.INTERNAL, HttpStatus.INTERNAL_SERVER_ERROR, "internal", "X-Request-Id"))) {
            GatewayError error = GatewayError.of(failure(expected.code(), MIGRATION_DETAIL), "stand-in", true, 2);

            assertThat(error.status()).as("%s", expected.code()).isEqualTo(expected.status());
            assertThat(error.code()).as("%s", expected.code()).isEqualTo(expected.wire());
            assertThat(error.getMessage()).as("%s", expected.code()).contains(expected.says(), "retry later")
                    .doesNotContain("10.1.2.4", "62001", "worker-a", "Exception", "stream_error");
            assertThat(error.operatorDetail()).isEqualTo(MIGRATION_DETAIL);
        }
    }

    @Test
    void aRequestFaultTellsTheCallerWhatToFix() {
        String tooMany = "maxTokens 6000 is above this director's limit of 5000 (CONNECTION_SWAP_MAX_TOKENS_LIMIT)";
        GatewayError error = GatewayError.of(failure(ErrorCode.BAD_REQUEST, tooMany), "stand-in", true, 2);

        assertThat(error.status()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(error.code()).isEqualTo("bad_request");
        assertThat(error.getMessage()).isEqualTo(tooMany);
        GatewayError rejected = GatewayError.of(failure(ErrorCode.UPSTREAM_REJECTED,
                "upstream answered HTTP 400: <upstream> says the prompt is too long"), "stand-in", true, 2);
        assertThat(rejected.getMessage()).isEqualTo("upstream answered HTTP 400: <upstream> says the prompt is too long");
    }

    @Test
    void anUnexpectedExceptionIsAnInternalErrorWhoseTextStaysInTheLog() {
        GatewayError error = GatewayError.internal(new IllegalStateException("pool at 10.1.2.5:9000 is closed"));

        assertThat(error.status()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
        assertThat(error.type()).isEqualTo("server_error");
        assertThat(error.code()).isEqualTo("internal");
        assertThat(error.getMessage()).doesNotContain("10.1.2.5", "IllegalStateException").contains("X-Request-Id");
        assertThat(error.operatorDetail()).isEqualTo("java.lang.IllegalStateException: pool at 10.1.2.5:9000 is closed");
    }

    @Test
    void theDirectorsListOfWorkersOutOfReachIsA503WithoutItsProblem() {
        GatewayError away = GatewayError.statusUnavailable(false, "cannot ask the director for its workers: "
                + "java.lang.IllegalStateException: not connected to 10.1.2.3:61000", 2);
        GatewayError silent = GatewayError.statusUnavailable(true, "cannot ask the director for its workers: "
                + "java.util.concurrent.TimeoutException", 2);

        assertThat(away.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(away.code()).isEqualTo("no_healthy_worker");
        assertThat(away.getMessage()).isEqualTo("the gateway has no connection to a director; retry later");
        assertThat(silent.getMessage()).contains("did not answer").doesNotContain("Exception");
        assertThat(away.operatorDetail()).contains("10.1.2.3:61000");
    }

    private static GenerationException failure(ErrorCode code, String detail) {
        return new GenerationException(code, detail, 0);
    }
}
