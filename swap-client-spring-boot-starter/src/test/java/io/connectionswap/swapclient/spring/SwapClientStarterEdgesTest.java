package io.connectionswap.swapclient.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.swapclient.SwapClientListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The starter with more than one of a kind: two metrics listeners (the composite dropped timeToFirstToken), two
 * clients of the application's own (the lifecycle bean asked for "the" client and the start failed), and a blank
 * ssl-bundle (looked up a bundle named "").
 */
class SwapClientStarterEdgesTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SwapClientAutoConfiguration.class));

    /** With two SwapClientListener beans the composite dropped timeToFirstToken: the TTFT histogram stayed empty. */
    @Test
    void everyListenerGetsTheTimeToFirstToken() {
        List<Long> first = new ArrayList<>();
        List<Long> second = new ArrayList<>();
        SwapClientListener composite = CompositeSwapClientListener.of(List.of(
                new SwapClientListener() {
                    @Override
                    public void timeToFirstToken(long nanos) {
                        first.add(nanos);
                    }
                },
                new SwapClientListener() {
                    @Override
                    public void timeToFirstToken(long nanos) {
                        second.add(nanos);
                    }
                }));
        composite.timeToFirstToken(42);
        assertThat(first).containsExactly(42L);
        assertThat(second).containsExactly(42L);
    }

    /**
     * An application with two SwapClient beans of its own (two director clusters): the starter backs off from its
     * client, and its lifecycle bean, which asked for "the" SwapClient and failed the start, too.
     */
    @Test
    void twoClientsOfTheUsersOwnDoNotFailTheStart(@TempDir Path pki) {
        DevelopmentPki.create(pki);
        runner.withPropertyValues("connection-swap.client.director-target=127.0.0.1:1")
                .withBean("east", SwapClient.class, () -> SwapClient.builder().directors("127.0.0.1:1")
                        .certificates(pki.toString()).build(), definition -> definition.setDestroyMethodName("close"))
                .withBean("west", SwapClient.class, () -> SwapClient.builder().directors("127.0.0.1:2")
                        .certificates(pki.toString()).build(), definition -> definition.setDestroyMethodName("close"))
                .run(context -> assertThat(context).hasNotFailed());
    }

    /** A closed client stays closed (README): a stopped context started again says so, rather than run without it. */
    @Test
    void aStoppedContextStartedAgainFailsWithClientIsClosed(@TempDir Path pki) {
        DevelopmentPki.create(pki);
        runner.withPropertyValues("connection-swap.client.director-target=127.0.0.1:1",
                        "connection-swap.client.certs-dir=" + pki)
                .run(context -> {
                    context.getSourceApplicationContext().stop();
                    assertThatThrownBy(() -> context.getSourceApplicationContext().start())
                            .hasRootCauseInstanceOf(IllegalStateException.class)
                            .hasRootCauseMessage("client is closed");
                });
    }

    /**
     * The javadoc of SwapClientProperties.sslBundle says "Blank: the PEM files of certsDir", but a blank
     * connection-swap.client.ssl-bundle (e.g. CONNECTION_SWAP_CLIENT_SSL_BUNDLE= in a manifest) matched
     * {@code @ConditionalOnProperty} and looked up a bundle named "".
     */
    @Test
    void aBlankSslBundleMeansThePemFilesOfTheCertsDir(@TempDir Path pki) {
        DevelopmentPki.create(pki);
        runner.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class))
                .withPropertyValues("connection-swap.client.director-target=127.0.0.1:1",
                        "connection-swap.client.ssl-bundle=",
                        "connection-swap.client.certs-dir=" + pki)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(SwapClient.class);
                });
    }
}
