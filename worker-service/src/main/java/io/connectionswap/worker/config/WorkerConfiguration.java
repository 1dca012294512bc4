package io.connectionswap.worker.config;

import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.worker.model.StandInBackend;
import io.connectionswap.worker.model.openai.OpenAiBackend;
import io.connectionswap.worker.model.openai.UpstreamSettings;
import io.netty.channel.EventLoopGroup;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class WorkerConfiguration {

    /**
     * The worker's model ({@code CONNECTION_SWAP_MODEL_BACKEND}): the stand-in (the default), paced at
     * {@code CONNECTION_SWAP_TOKEN_INTERVAL} on the worker's event loop, or an OpenAI-compatible upstream
     * ({@code openai}), whose {@code CONNECTION_SWAP_UPSTREAM_*} settings are checked here: a missing or malformed one
     * stops the start with a message naming it. Declare another {@link ModelBackend} bean to plug in a model of your
     * own; this one then backs off. The openai backend is closed (its threads stopped) with the context.
     */
    @Bean
    @ConditionalOnMissingBean(ModelBackend.class)
    ModelBackend modelBackend(ModelProperties model, WorkerProperties properties, UpstreamProperties upstream,
                              EventLoopGroup workerEventLoop) {
        return switch (model.backend()) {
            case ModelProperties.OPENAI -> OpenAiBackend.start(UpstreamSettings.from(upstream));
            default -> StandInBackend.create(properties.tokenInterval(), workerEventLoop);
        };
    }

    /** QUIC limits; the request limit is {@code CONNECTION_SWAP_MAX_REQUEST_BYTES}. */
    @Bean
    QuicSettings quicSettings(WorkerProperties properties) {
        return QuicSettings.DEFAULTS.withMaxRequestBytes((int) properties.maxRequestBytes().toBytes());
    }

    /**
     * The worker's open QUIC connections (from directors, and its registrations with them), for
     * {@code swap_quic_streams_open}.
     */
    @Bean
    QuicConnections workerQuicConnections() {
        return new QuicConnections();
    }

    @Bean(destroyMethod = "shutdownPromptly")
    EventLoopGroup workerEventLoop(WorkerProperties properties) {
        return QuicEventLoops.create("worker-quic", properties.eventLoopThreads());
    }
}
