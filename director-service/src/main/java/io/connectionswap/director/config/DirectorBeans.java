package io.connectionswap.director.config;

import io.connectionswap.director.health.HealthPoller;
import io.connectionswap.director.health.QuicServerHealthIndicator;
import io.connectionswap.director.health.RoutingLoopHealthIndicator;
import io.connectionswap.director.health.WorkersHealthIndicator;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.quic.DirectorQuicServer;
import io.connectionswap.director.registry.AddressResolver;
import io.connectionswap.director.registry.DnsDiscovery;
import io.connectionswap.director.registry.QuicWorkerConnector;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.QuicTls;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.ExecutorService;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;

/** Wires the routing core: registry, relay, meters, health polling and the QUIC server. */
@Configuration(proxyBeanMethods = false)
public class DirectorBeans {

    @Bean
    WorkerRegistry workerRegistry(EventLoop routingLoop, ExecutorService directorBlockingExecutor, TlsIdentity identity,
                                  QuicSettings settings, DirectorProperties properties, HealthProperties health) {
        QuicConnector quic = new QuicConnector(routingLoop, settings, QuicTls.client(identity));
        QuicWorkerConnector connector = new QuicWorkerConnector(quic, routingLoop, settings.frameLimits(),
                properties.linkHeartbeatInterval(), properties.linkHeartbeatTimeout());
        return new WorkerRegistry(routingLoop, directorBlockingExecutor, connector, properties, health);
    }

    @Bean
    Relay relay(WorkerRegistry registry, DirectorProperties properties, QuicSettings settings) {
        return new Relay(registry, properties, settings.frameLimits());
    }

    @Bean
    DirectorMeters directorMeters(MeterRegistry meterRegistry, EventLoopGroup directorEventLoopGroup,
                                  WorkerRegistry registry, Relay relay) {
        DirectorMeters meters = new DirectorMeters(meterRegistry, directorEventLoopGroup, relay::activeSessions,
                registry::healthyCount,
                () -> registry.workers().size() - registry.healthyCount());
        registry.meters(meters);
        relay.meters(meters);
        return meters;
    }

    @Bean
    HealthPoller healthPoller(WorkerRegistry registry, HealthProperties health, ExecutorService directorBlockingExecutor) {
        return new HealthPoller(registry, health, directorBlockingExecutor);
    }

    @Bean
    DirectorQuicServer directorQuicServer(DirectorProperties properties, TlsIdentity identity, QuicSettings settings,
                                          EventLoop routingLoop, Relay relay, WorkerRegistry registry,
                                          DirectorMeters meters, ConfigurableEnvironment environment) {
        return new DirectorQuicServer(properties, identity, settings, routingLoop, relay, registry, meters, environment);
    }

    /** The JVM's resolver; declare another {@link AddressResolver} bean to replace it. */
    @Bean
    @ConditionalOnMissingBean
    AddressResolver addressResolver() {
        return AddressResolver.system();
    }

    @Bean
    DnsDiscovery dnsDiscovery(DiscoveryProperties discovery, WorkerRegistry registry, AddressResolver resolver,
                              ExecutorService directorBlockingExecutor) {
        return new DnsDiscovery(discovery, registry, resolver, directorBlockingExecutor);
    }

    @Bean("workers")
    WorkersHealthIndicator workersHealthIndicator(WorkerRegistry registry) {
        return new WorkersHealthIndicator(registry);
    }

    /** Health component {@code routingLoop} (the bean name minus "HealthIndicator"). */
    @Bean
    RoutingLoopHealthIndicator routingLoopHealthIndicator(EventLoop routingLoop) {
        return new RoutingLoopHealthIndicator(routingLoop, java.time.Duration.ofSeconds(2));
    }

    @Bean("quicServer")
    QuicServerHealthIndicator quicServerHealthIndicator(DirectorQuicServer server, Relay relay) {
        return new QuicServerHealthIndicator(server, relay);
    }
}
