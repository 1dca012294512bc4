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
import io.connectionswap.director.relay.SwapReason;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.QuicTls;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
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
    DirectorMeters directorMeters(MeterRegistry meterRegistry, EventLoopGroup directorEventLoopGroup) {
        return new DirectorMeters(meterRegistry, directorEventLoopGroup, SwapReason.ALL);
    }

    @Bean
    WorkerRegistry workerRegistry(EventLoop routingLoop, ExecutorService directorBlockingExecutor, TlsIdentity identity,
                                  QuicSettings settings, DirectorProperties properties, HealthProperties health,
                                  DirectorMeters meters) {
        QuicConnector quic = new QuicConnector(routingLoop, settings, QuicTls.client(identity));
        QuicWorkerConnector connector = new QuicWorkerConnector(quic, routingLoop, settings.frameLimits(),
                properties.linkHeartbeatInterval(), properties.linkHeartbeatTimeout());
        return new WorkerRegistry(routingLoop, directorBlockingExecutor, connector, properties, health, meters);
    }

    @Bean
    Relay relay(WorkerRegistry registry, DirectorProperties properties, LimitProperties limits, QuicSettings settings,
                DirectorMeters meters) {
        return new Relay(registry, properties, limits, settings.frameLimits(), meters);
    }

    /** The gauges read the services they describe, so they are bound once those exist. */
    @Bean
    MeterBinder directorGauges(DirectorMeters meters, WorkerRegistry registry, Relay relay, DirectorQuicServer server) {
        return meterRegistry -> meters.bindGauges(relay::activeSessions, registry::healthyCount,
                () -> registry.workers().size() - registry.healthyCount(),
                () -> server.heldStreams() + registry.heldStreams(), server::openClientConnections);
    }

    @Bean
    HealthPoller healthPoller(WorkerRegistry registry, HealthProperties health, ExecutorService directorBlockingExecutor,
                              DirectorMeters meters) {
        return new HealthPoller(registry, health, directorBlockingExecutor, meters);
    }

    @Bean
    DirectorQuicServer directorQuicServer(DirectorProperties properties, LimitProperties limits, TlsIdentity identity,
                                          QuicSettings settings, EventLoop routingLoop, Relay relay,
                                          WorkerRegistry registry, DirectorMeters meters,
                                          ConfigurableEnvironment environment) {
        return new DirectorQuicServer(properties, limits, identity, settings, routingLoop, relay, registry, meters,
                environment);
    }

    /** The JVM's resolver; declare another {@link AddressResolver} bean to replace it. */
    @Bean
    @ConditionalOnMissingBean
    AddressResolver addressResolver() {
        return AddressResolver.system();
    }

    @Bean
    DnsDiscovery dnsDiscovery(DiscoveryProperties discovery, WorkerRegistry registry, AddressResolver resolver,
                              ExecutorService directorBlockingExecutor, DirectorMeters meters) {
        return new DnsDiscovery(discovery, registry, resolver, directorBlockingExecutor, meters);
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
