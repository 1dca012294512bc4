package io.connectionswap.worker.config;

import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.protocol.model.TokenModel;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.channel.EventLoopGroup;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class WorkerConfiguration {

    /** The stand-in model; declare another {@link TokenModel} bean to plug in a real one. */
    @Bean
    @ConditionalOnMissingBean
    TokenModel tokenModel() {
        return new DeterministicTokenModel();
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
