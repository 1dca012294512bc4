package io.connectionswap.client.config;

import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class ClientConfiguration {

    @Bean
    TlsIdentity clientIdentity(TlsProperties tls) {
        return TlsIdentity.of(CertificateDirectory.locate(tls.certsDir()), "client");
    }

    @Bean
    QuicSettings quicSettings() {
        return QuicSettings.DEFAULTS;
    }

    @Bean(destroyMethod = "shutdownGracefully")
    EventLoopGroup clientEventLoopGroup() {
        return QuicEventLoops.create("client-quic", 1);
    }

    /** The loop that owns the connection and generation state. */
    @Bean(destroyMethod = "")
    EventLoop clientLoop(EventLoopGroup clientEventLoopGroup) {
        return clientEventLoopGroup.next();
    }
}
