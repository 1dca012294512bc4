package io.connectionswap.worker.config;

import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.worker.model.StandInBackend;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.channel.EventLoopGroup;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class WorkerConfiguration {

    /**
     * The stand-in model ({@code CONNECTION_SWAP_MODEL_BACKEND=stand-in}, the default), paced at
     * {@code CONNECTION_SWAP_TOKEN_INTERVAL} on the worker's event loop. Declare another {@link ModelBackend} bean to
     * plug in a real model.
     */
    @Bean
    @ConditionalOnMissingBean(ModelBackend.class)
    @ConditionalOnProperty(name = "connection-swap.model.backend", havingValue = "stand-in", matchIfMissing = true)
    ModelBackend standInBackend(WorkerProperties properties, EventLoopGroup workerEventLoop) {
        return StandInBackend.create(properties.tokenInterval(), workerEventLoop);
    }

    @Bean
    TlsIdentity workerIdentity(TlsProperties tls) {
        return TlsIdentity.of(CertificateDirectory.locate(tls.certsDir()), "worker");
    }

    @Bean
    QuicSettings quicSettings() {
        return QuicSettings.DEFAULTS;
    }

    @Bean(destroyMethod = "shutdownGracefully")
    EventLoopGroup workerEventLoop(WorkerProperties properties) {
        return QuicEventLoops.create("worker-quic", properties.eventLoopThreads());
    }
}
