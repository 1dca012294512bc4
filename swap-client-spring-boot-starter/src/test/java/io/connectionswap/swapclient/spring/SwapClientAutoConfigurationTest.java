package io.connectionswap.swapclient.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.service.config.TlsConfigurationFailureAnalyzer;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.swapclient.SwapClientListener;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundleRegistry;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class SwapClientAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SwapClientAutoConfiguration.class));

    @Test
    void noClientUntilADirectorTargetIsSet() {
        runner.run(context -> assertThat(context).doesNotHaveBean(SwapClient.class));
    }

    @Test
    void aClientFromThePropertiesWithListenersAndCustomizers() {
        List<String> customized = new ArrayList<>();
        runner.withPropertyValues("connection-swap.client.director-target=127.0.0.1:1,127.0.0.1:2",
                        "connection-swap.client.retry-backoff=50ms", "connection-swap.client.retry-backoff-max=1s")
                .withBean("metrics", SwapClientListener.class, () -> new SwapClientListener() {
                })
                .withBean(SwapClientCustomizer.class, () -> builder -> customized.add("called"))
                .run(context -> {
                    assertThat(context).hasSingleBean(SwapClient.class).hasSingleBean(SwapClientLifecycle.class);
                    assertThat(context.getBean(SwapClientProperties.class).directorTarget())
                            .isEqualTo("127.0.0.1:1,127.0.0.1:2");
                    assertThat(context.getBean(SwapClientProperties.class).tokenLogLevel())
                            .as("no line per token at INFO unless asked").isEqualTo(org.slf4j.event.Level.DEBUG);
                    assertThat(customized).containsExactly("called");
                    assertThat(context.getBean(SwapClientLifecycle.class).isRunning()).as("started with the context").isTrue();
                    assertThat(context.getBean(SwapClient.class).connectionState().connected()).isFalse();
                });
    }

    @Test
    void closingTheContextClosesTheClient() {
        runner.withPropertyValues("connection-swap.client.director-target=127.0.0.1:1").run(context -> {
            SwapClient client = context.getBean(SwapClient.class);
            SwapClientLifecycle lifecycle = context.getBean(SwapClientLifecycle.class);
            context.close(); // Spring stops the lifecycle through stop(Runnable) and waits for its callback

            assertThat(lifecycle.isRunning()).isFalse();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            client.completion("m", "p", SamplingParameters.maxTokens(1)).subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription subscription) {
                }

                @Override
                public void onNext(GenerationEvent item) {
                }

                @Override
                public void onError(Throwable throwable) {
                    failure.set(throwable);
                }

                @Override
                public void onComplete() {
                }
            });
            assertThat(failure.get()).as("the client was closed").hasMessageContaining("the client is closed");
        });
    }

    @Test
    void theTokenLogLevelIsAProperty() {
        runner.withPropertyValues("connection-swap.client.director-target=127.0.0.1:1",
                        "connection-swap.client.token-log-level=info")
                .run(context -> assertThat(context.getBean(SwapClientProperties.class).tokenLogLevel())
                        .isEqualTo(org.slf4j.event.Level.INFO));
    }

    @Test
    void theNoWorkerWaitIsAPropertyOfThirtySecondsByDefault() {
        runner.withPropertyValues("connection-swap.client.director-target=127.0.0.1:1")
                .run(context -> assertThat(context.getBean(SwapClientProperties.class).noWorkerWait())
                        .isEqualTo(java.time.Duration.ofSeconds(30)));
        runner.withPropertyValues("connection-swap.client.director-target=127.0.0.1:1",
                        "connection-swap.client.no-worker-wait=2s")
                .run(context -> assertThat(context.getBean(SwapClientProperties.class).noWorkerWait())
                        .isEqualTo(java.time.Duration.ofSeconds(2)));
    }

    @Test
    void theTlsOfAnSslBundleRotatesWhenTheBundleIsUpdated(@TempDir Path pki) {
        DevelopmentPki.create(pki);
        runner.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class))
                .withPropertyValues("connection-swap.client.director-target=127.0.0.1:1",
                        "connection-swap.client.ssl-bundle=client",
                        "spring.ssl.bundle.pem.client.keystore.certificate=file:" + pki.resolve("client.pem"),
                        "spring.ssl.bundle.pem.client.keystore.private-key=file:" + pki.resolve("client.key"),
                        "spring.ssl.bundle.pem.client.truststore.certificate=file:" + pki.resolve("ca.pem"))
                .run(context -> {
                    assertThat(context).hasSingleBean(SwapClient.class);
                    TlsContexts tls = context.getBean(SwapClientAutoConfiguration.TLS_BEAN, TlsContexts.class);
                    X509Certificate before = tls.material().certificate();
                    assertThat(tls.developmentCa()).isTrue();

                    DevelopmentPki.write(pki, DevelopmentPki.issue(DevelopmentPki.readCa(pki), "client"));
                    SslBundle renewed = SslBundle.of(new PemSslStoreBundle(
                            PemSslStoreDetails.forCertificate("file:" + pki.resolve("client.pem"))
                                    .withPrivateKey("file:" + pki.resolve("client.key")),
                            PemSslStoreDetails.forCertificate("file:" + pki.resolve("ca.pem"))));
                    context.getBean(SslBundleRegistry.class).updateBundle("client", renewed);

                    assertThat(tls.material().certificate().getSerialNumber()).isNotEqualTo(before.getSerialNumber());
                    assertThat(tls.details()).containsEntry("reloads", 1);
                });
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "no-port     | )=no-port is not host:port",
        "127.0.0.1:0 | )=127.0.0.1:0 has an invalid port: 0 (expected: 1-65535)"})
    void aBadTargetFailsTheStartWithItsNameAndWhatWasExpected(String target, String problem) {
        runner.withPropertyValues("connection-swap.client.director-target=" + target)
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .rootCause().hasMessageStartingWith("connection-swap.client.director-target (")
                        .hasMessageContaining(problem));
    }

    @Test
    void aCertificateDirectoryThatIsNotThereFailsTheStartWithTheStartersSettingAndAReport(@TempDir Path somewhere) {
        String missing = somewhere.resolve("no-such-dir").toString();
        runner.withPropertyValues("connection-swap.client.director-target=127.0.0.1:1",
                        "connection-swap.client.certs-dir=" + missing)
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .hasMessageStartingWith("connection-swap.client.certs-dir=" + missing + " is not a directory");
                    FailureAnalysis report = new TlsConfigurationFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(report).as("Boot's APPLICATION FAILED TO START, not a stack trace").isNotNull();
                    assertThat(report.getDescription()).startsWith("connection-swap.client.certs-dir=");
                    assertThat(report.getAction()).contains("connection-swap.client.certs-dir", "certs/generate.sh");
                });
    }
}
