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
import io.connectionswap.director.relay.Relays;
import io.connectionswap.director.tracing.RelayTracing;
import io.connectionswap.protocol.dns.HostResolver;
import io.connectionswap.protocol.dns.NameServers;
import io.connectionswap.director.relay.SwapReason;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.SendHeldAfterRead;
import io.connectionswap.protocol.tls.TlsContexts;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import org.springframework.beans.factory.ObjectProvider;
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
    WorkerRegistry workerRegistry(RoutingLoops routingLoops, ExecutorService directorBlockingExecutor,
                                  TlsContexts directorTls, QuicSettings settings, DirectorProperties properties,
                                  HealthProperties health, DirectorMeters meters) {
        // coalesced sends: what one read from a worker relayed to a client connection leaves in one send
        ChannelHandler[] linkSocketHandlers = properties.coalesceSends()
                ? new ChannelHandler[] {meters.workerDatagrams(), SendHeldAfterRead.INSTANCE}
                : new ChannelHandler[] {meters.workerDatagrams()};
        // each routing loop dials its own share of every worker link, so its relay sessions never change thread
        List<QuicConnector> perLoop = new ArrayList<>(routingLoops.size());
        for (EventLoop loop : routingLoops.all()) {
            perLoop.add(new QuicConnector(loop, settings, directorTls.clientContext(), properties.udpGso(),
                    linkSocketHandlers));
        }
        EventLoop routingLoop = routingLoops.registryLoop();
        QuicWorkerConnector connector = new QuicWorkerConnector(perLoop, routingLoop, settings.frameLimits(),
                properties.linkHeartbeatInterval(), properties.linkHeartbeatTimeout(),
                properties.workerLinkConnections(), properties.workerTokenStream());
        return new WorkerRegistry(routingLoop, directorBlockingExecutor, connector, properties, health, meters);
    }

    /** A relay per routing loop. */
    @Bean
    Relays relays(RoutingLoops routingLoops, WorkerRegistry registry, DirectorProperties properties,
                  LimitProperties limits, QuicSettings settings, DirectorMeters meters,
                  ObjectProvider<RelayTracing> tracing) {
        return Relays.create(routingLoops, registry, properties, limits, settings.frameLimits(), meters,
                tracing.getIfAvailable());
    }

    /** The gauges read the services they describe, so they are bound once those exist. */
    @Bean
    MeterBinder directorGauges(DirectorMeters meters, WorkerRegistry registry, Relays relays,
                               DirectorQuicServer server) {
        return meterRegistry -> meters.bindGauges(relays::activeSessions, registry::healthyCount,
                () -> registry.workers().size() - registry.healthyCount(),
                () -> server.heldStreams() + registry.heldStreams(), server::openClientConnections,
                server::pendingRequestBytes);
    }

    @Bean
    HealthPoller healthPoller(WorkerRegistry registry, HealthProperties health,
                              ExecutorService directorHealthPollExecutor, DirectorMeters meters) {
        return new HealthPoller(registry, health, directorHealthPollExecutor, meters);
    }

    @Bean
    DirectorQuicServer directorQuicServer(DirectorProperties properties, LimitProperties limits, TlsContexts directorTls,
                                          QuicSettings settings, RoutingLoops routingLoops, Relays relays,
                                          WorkerRegistry registry, DirectorMeters meters,
                                          ConfigurableEnvironment environment, DrainProperties drain) {
        return new DirectorQuicServer(properties, limits, directorTls, settings, routingLoops, relays, registry, meters,
                environment, drain);
    }

    /**
     * DNS through Netty on the routing loop (servers from /etc/resolv.conf, record TTLs, hosts file first); built on
     * first use, so a director without discovery opens no DNS socket.
     */
    @Bean
    HostResolver directorHostResolver(EventLoop routingLoop) {
        return HostResolver.create(routingLoop, NameServers.system(), "director");
    }

    /** Declare another {@link AddressResolver} bean to replace DNS (tests do). */
    @Bean
    @ConditionalOnMissingBean
    AddressResolver addressResolver(HostResolver directorHostResolver) {
        return AddressResolver.dns(directorHostResolver);
    }

    @Bean
    DnsDiscovery dnsDiscovery(DiscoveryProperties discovery, WorkerRegistry registry, AddressResolver resolver,
                              DirectorMeters meters) {
        return new DnsDiscovery(discovery, registry, resolver, meters);
    }

    @Bean("workers")
    WorkersHealthIndicator workersHealthIndicator(WorkerRegistry registry) {
        return new WorkersHealthIndicator(registry);
    }

    /** Health component {@code routingLoop} (the bean name minus "HealthIndicator"). */
    @Bean
    RoutingLoopHealthIndicator routingLoopHealthIndicator(RoutingLoops routingLoops) {
        return new RoutingLoopHealthIndicator(routingLoops.all(), java.time.Duration.ofSeconds(2));
    }

    @Bean("quicServer")
    QuicServerHealthIndicator quicServerHealthIndicator(DirectorQuicServer server, Relays relays) {
        return new QuicServerHealthIndicator(server, relays);
    }
}
