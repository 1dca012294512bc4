package io.connectionswap.swapclient.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.swapclient.SwapClientListener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
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
                    assertThat(customized).containsExactly("called");
                    assertThat(context.getBean(SwapClientLifecycle.class).isRunning()).as("started with the context").isTrue();
                    assertThat(context.getBean(SwapClient.class).connectionState().connected()).isFalse();
                });
    }

    @Test
    void aBadTargetFailsTheStartWithItsName() {
        runner.withPropertyValues("connection-swap.client.director-target=no-port")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .rootCause().hasMessageContaining("CONNECTION_SWAP_DIRECTOR_TARGET=no-port"));
    }
}
