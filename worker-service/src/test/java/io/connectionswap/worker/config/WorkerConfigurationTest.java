package io.connectionswap.worker.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.model.ChatFormat;
import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.worker.model.PacedBackend;
import io.connectionswap.worker.model.openai.OpenAiBackend;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** The model backend and the request limit as the worker's settings choose them; clear start-up failures. */
class WorkerConfigurationTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties({WorkerProperties.class, ModelProperties.class, UpstreamProperties.class,
            TlsProperties.class})
    static class Properties {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withUserConfiguration(Properties.class, WorkerConfiguration.class)
            .withPropertyValues("connection-swap.worker.addr=127.0.0.1:0");

    @Test
    void theStandInIsTheDefaultAndTheRequestLimitIs4MiB() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(ModelBackend.class)).isInstanceOf(PacedBackend.class);
            assertThat(context.getBean(QuicSettings.class).frameLimits().maxRequestBytes()).isEqualTo(4 * 1024 * 1024);
        });
    }

    @Test
    void theRequestLimitIsConfigurable() {
        runner.withPropertyValues("connection-swap.worker.max-request-bytes=1MB").run(context ->
                assertThat(context.getBean(QuicSettings.class).frameLimits().maxRequestBytes()).isEqualTo(1024 * 1024));
        runner.withPropertyValues("connection-swap.worker.max-request-bytes=10000").run(context ->
                failure(context).hasMessageContaining("CONNECTION_SWAP_MAX_REQUEST_BYTES=10000 bytes (expected: 65536 (64KB)"));
    }

    @Test
    void theOpenAiBackendIsBuiltFromItsSettingsAndClosedWithTheContext() {
        runner.withPropertyValues("connection-swap.model.backend=openai",
                "connection-swap.upstream.url=http://127.0.0.1:1/v1", "connection-swap.upstream.model=llama-3")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    ModelBackend backend = context.getBean(ModelBackend.class);
                    assertThat(backend).isInstanceOf(OpenAiBackend.class);
                    assertThat(backend.models()).containsExactly("llama-3");
                    assertThat(backend.tokenInterval()).as("the model sets its own pace").isNull();
                    assertThat(((OpenAiBackend) backend).settings().firstTokenTimeout()).hasSeconds(60);
                    assertThat(((OpenAiBackend) backend).settings().chatFormat()).isEqualTo(ChatFormat.ROLE_TAGS);
                });
    }

    @Test
    void aMissingUpstreamSettingStopsTheStartWithItsName() {
        runner.withPropertyValues("connection-swap.model.backend=openai", "connection-swap.upstream.model=m")
                .run(context -> failure(context).hasMessageStartingWith("CONNECTION_SWAP_UPSTREAM_URL is not set"));
        runner.withPropertyValues("connection-swap.model.backend=openai", "connection-swap.upstream.url=http://h/v1")
                .run(context -> failure(context).hasMessageStartingWith("CONNECTION_SWAP_UPSTREAM_MODEL is not set"));
        runner.withPropertyValues("connection-swap.model.backend=openai", "connection-swap.upstream.url=h:8000",
                        "connection-swap.upstream.model=m")
                .run(context -> failure(context).hasMessageStartingWith("CONNECTION_SWAP_UPSTREAM_URL=h:8000"));
        runner.withPropertyValues("connection-swap.model.backend=openai", "connection-swap.upstream.url=http://h/v1",
                        "connection-swap.upstream.model=m", "connection-swap.upstream.chat-template=jinja")
                .run(context -> failure(context).hasMessageStartingWith("CONNECTION_SWAP_UPSTREAM_CHAT_TEMPLATE=jinja"));
    }

    @Test
    void anUnknownBackendStopsTheStartWithItsName() {
        runner.withPropertyValues("connection-swap.model.backend=vllm").run(context ->
                failure(context).hasMessage("CONNECTION_SWAP_MODEL_BACKEND=vllm (expected: stand-in or openai)"));
    }

    @Test
    void anAddressThatIsNotHostPortStopsTheStartWithItsSetting() {
        runner.withPropertyValues("connection-swap.worker.addr=").run(context ->
                failure(context).hasMessageStartingWith("CONNECTION_SWAP_WORKER_ADDR is not set"));
        runner.withPropertyValues("connection-swap.worker.addr=worker-a").run(context ->
                failure(context).hasMessageStartingWith("CONNECTION_SWAP_WORKER_ADDR=worker-a is not host:port"));
        runner.withPropertyValues("connection-swap.worker.advertise=10.0.0.7").run(context ->
                failure(context).hasMessageStartingWith("CONNECTION_SWAP_WORKER_ADVERTISE=10.0.0.7 is not host:port"));
        runner.withPropertyValues("connection-swap.worker.director-target=127.0.0.1:61000, director").run(context ->
                failure(context).hasMessageStartingWith("CONNECTION_SWAP_DIRECTOR_TARGET=director is not host:port"));
        runner.withPropertyValues("connection-swap.worker.director-target= , ").run(context ->
                failure(context).hasMessageStartingWith("CONNECTION_SWAP_DIRECTOR_TARGET is empty"));
        runner.withPropertyValues("connection-swap.worker.director-target=", "connection-swap.worker.register=false")
                .run(context -> assertThat(context).as("no directors to register with: none needed").hasNotFailed());
    }

    @Test
    void messagesNameTheWorkerByItsLabelAndTheDefaultOneOnce() {
        runner.run(context -> assertThat(context.getBean(WorkerProperties.class).roleName()).isEqualTo("worker"));
        runner.withPropertyValues("connection-swap.worker.label=worker-a").run(context ->
                assertThat(context.getBean(WorkerProperties.class).roleName()).isEqualTo("worker worker-a"));
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> failure(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        Throwable root = context.getStartupFailure();
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return assertThat(root);
    }
}
