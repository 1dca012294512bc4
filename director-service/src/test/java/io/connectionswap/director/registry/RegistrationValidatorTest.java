package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.WorkerRegistration;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a worker may register with: every refusal names the field and what was expected. */
class RegistrationValidatorTest {

    @Test
    void aValidRegistrationGivesTheAddressAndHealthUrl() {
        RegistrationValidator.Checked checked = RegistrationValidator.check(registration("worker-a", "10.0.0.7:62001",
                "https://worker-a.pool.svc:8081/actuator/health", List.of("stand-in")));
        assertThat(checked.address().port()).isEqualTo(62001);
        assertThat(checked.healthUrl().getHost()).isEqualTo("worker-a.pool.svc");
        RegistrationValidator.check(registration("w", "[::1]:62001", "http://[::1]:8081/actuator/health", List.of()));
    }

    @Test
    void aHealthUrlWhoseHostHasAnUnderscoreHasNoHostForJavaAndIsRefused() {
        assertThatThrownBy(() -> RegistrationValidator.check(registration("worker-a", "127.0.0.1:62001",
                "http://worker_a:8081/actuator/health", List.of())))
                .isInstanceOf(InvalidRegistrationException.class)
                .hasMessage("worker worker-a: health URL 'http://worker_a:8081/actuator/health' has no host "
                        + "('worker_a:8081' is not a valid host name: '_' is not allowed; use a name with '-' or an IP "
                        + "address, e.g. CONNECTION_SWAP_WORKER_ADVERTISE_HEALTH_URL)");
    }

    @Test
    void healthUrlsMustBeAbsoluteHttpWithAHost() {
        for (String url : List.of("worker-a:8081/actuator/health", "/actuator/health", "ftp://worker-a/health",
                "http:///actuator/health", "http://worker a/health", "http://worker-a:99999/health")) {
            assertThatThrownBy(() -> RegistrationValidator.check(registration("worker-a", "127.0.0.1:62001", url,
                    List.of()))).as(url).isInstanceOf(InvalidRegistrationException.class)
                    .hasMessageStartingWith("worker worker-a: health URL '");
        }
    }

    @Test
    void labelsAddressesAndModelsAreBounded() {
        assertThatThrownBy(() -> RegistrationValidator.check(registration("x".repeat(65), "127.0.0.1:1",
                "http://h:1/", List.of()))).hasMessageContaining("1 to 64");
        assertThatThrownBy(() -> RegistrationValidator.check(registration("bad label\n", "127.0.0.1:1",
                "http://h:1/", List.of()))).hasMessageContaining("'bad label?' is not a label");
        assertThatThrownBy(() -> RegistrationValidator.check(registration("w", "127.0.0.1", "http://h:1/", List.of())))
                .hasMessageContaining("is not host:port");
        assertThatThrownBy(() -> RegistrationValidator.check(registration("w", "127.0.0.1:0", "http://h:1/", List.of())))
                .hasMessageContaining("port 0");
        assertThatThrownBy(() -> RegistrationValidator.check(registration("w", "127.0.0.1:1", "http://h:1/",
                Collections.nCopies(65, "m")))).hasMessageContaining("65 models");
        assertThatThrownBy(() -> RegistrationValidator.check(registration("w", "127.0.0.1:1", "http://h:1/",
                List.of("m".repeat(257))))).hasMessageContaining("model name");
    }

    /**
     * The registration's bound on a model name was a number of its own (256), beside nothing on the name a client asks
     * for. Now both are GenerationRequest.MAX_MODEL_CHARS: every name a worker may register a client may ask for, and
     * one character more is refused, as any invalid registration, saying what is expected.
     */
    @Test
    void aModelNameIsBoundedAsTheProtocolBoundsTheModelAClientAsksFor() {
        String longest = "m".repeat(GenerationRequest.MAX_MODEL_CHARS);
        assertThatCode(() -> RegistrationValidator.check(registration("w", "127.0.0.1:1", "http://h:1/",
                List.of("stand-in", longest)))).doesNotThrowAnyException();
        assertThatThrownBy(() -> RegistrationValidator.check(registration("w", "127.0.0.1:1", "http://h:1/",
                List.of("stand-in", longest + "m")))).isInstanceOf(InvalidRegistrationException.class)
                .hasMessageContaining("model name '" + "m".repeat(64) + "...' (expected: 1 to "
                        + GenerationRequest.MAX_MODEL_CHARS + " printable characters)");
    }

    private static WorkerRegistration registration(String label, String address, String healthUrl, List<String> models) {
        return new WorkerRegistration(label, address, healthUrl, 50, "i-1", models);
    }
}
