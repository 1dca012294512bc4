package io.connectionswap.swapclient.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.tls.DevelopmentPki;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * A duration setting of the starter that cannot work fails the start at binding, naming the connection-swap.client.*
 * setting, as a bad director-target does (it failed in the builder, with its words only: "initial backoff: PT0S",
 * "heartbeat interval PT5S and timeout PT3.5S", nothing saying which setting or that 3.5 s is a default).
 */
class SwapClientDurationSettingsTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SwapClientAutoConfiguration.class));

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "retry-backoff=0s         | connection-swap.client.retry-backoff",
        "retry-backoff=10s        | connection-swap.client.retry-backoff",
        "heartbeat-interval=5s    | connection-swap.client.heartbeat-",
        "heartbeat-timeout=500ms  | connection-swap.client.heartbeat-",
        "no-worker-wait=-1s       | connection-swap.client.no-worker-wait"})
    void aDurationThatCannotWorkFailsTheStartNamingItsSetting(String setting, String named, @TempDir Path pki) {
        DevelopmentPki.create(pki);
        runner.withPropertyValues("connection-swap.client.director-target=127.0.0.1:1",
                        "connection-swap.client.certs-dir=" + pki, "connection-swap.client." + setting)
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause().hasMessageContaining(named));
    }
}
