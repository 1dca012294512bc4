package io.connectionswap.client.config;

import io.connectionswap.client.health.DirectorConnectionHealthIndicator;
import io.connectionswap.client.metrics.ClientMeters;
import io.connectionswap.client.quic.DirectorConnection;
import io.connectionswap.client.stream.GenerationListener;
import io.connectionswap.client.stream.GenerationLoop;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.channel.EventLoop;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the director connection, the generation loop and the client's health. */
@Configuration(proxyBeanMethods = false)
public class ClientBeans {

    @Bean
    DirectorConnection directorConnection(ClientProperties properties, EventLoop clientLoop, TlsIdentity identity,
                                          QuicSettings settings, ClientMeters meters) {
        return new DirectorConnection(properties, clientLoop, identity, settings, meters);
    }

    @Bean
    GenerationLoop generationLoop(ClientProperties properties, DirectorConnection connection, EventLoop clientLoop,
                                  ClientMeters meters, ObjectProvider<GenerationListener> listeners, QuicSettings settings) {
        return new GenerationLoop(properties, connection, clientLoop, meters, listeners.orderedStream().toList(),
                settings.frameLimits());
    }

    @Bean("director")
    DirectorConnectionHealthIndicator directorConnectionHealthIndicator(DirectorConnection connection,
                                                                        ClientProperties properties) {
        return new DirectorConnectionHealthIndicator(connection, properties.directorTarget());
    }
}
