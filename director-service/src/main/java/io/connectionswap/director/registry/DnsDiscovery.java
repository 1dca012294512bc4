package io.connectionswap.director.registry;

import io.connectionswap.director.config.DiscoveryProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.quic.HostPort;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Resolves {@code CONNECTION_SWAP_DISCOVERY_DNS} every interval (off the event loop) and hands the addresses to the
 * registry, which adds new workers and forgets vanished ones once they are no longer fit for streams. A round that
 * fails is logged and counted ({@code connection_swap_task_failures_total{task="dns_discovery"}}); the next one
 * runs all the same.
 */
public final class DnsDiscovery implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DnsDiscovery.class);

    private final DiscoveryProperties properties;
    private final WorkerRegistry registry;
    private final AddressResolver resolver;
    private final Executor blocking;
    private final DirectorMeters meters;
    private volatile ScheduledFuture<?> task;
    private volatile String lastProblem;

    public DnsDiscovery(DiscoveryProperties properties, WorkerRegistry registry, AddressResolver resolver,
                        Executor blocking, DirectorMeters meters) {
        this.meters = meters;
        this.properties = properties;
        this.registry = registry;
        this.resolver = resolver;
        this.blocking = blocking;
    }

    @Override
    public void start() {
        if (!properties.enabled()) {
            return;
        }
        HostPort target = properties.target();
        log.info("discovery.dns={} interval={} discovering workers through DNS", target, properties.interval());
        long period = properties.interval().toMillis();
        task = registry.loop().scheduleWithFixedDelay(() -> {
            try {
                blocking.execute(() -> guarded(target));
            } catch (RuntimeException e) {
                failed(target, e);
            }
        }, 0, period, TimeUnit.MILLISECONDS);
    }

    private void guarded(HostPort target) {
        try {
            lookup(target);
        } catch (RuntimeException | AssertionError e) {
            failed(target, e);
        }
    }

    private void failed(HostPort target, Throwable failure) {
        meters.taskFailed(DirectorMeters.Task.DNS_DISCOVERY);
        log.error("task=dns_discovery discovery.dns={} problem=\"{}\" worker discovery round failed; discovery goes on",
                target, failure.toString(), failure);
    }

    /** Resolves once and applies the result on the routing loop. Public for tests. */
    public void lookup(HostPort target) {
        Set<HostPort> found = new LinkedHashSet<>();
        try {
            for (InetAddress address : resolver.resolve(target.host())) {
                found.add(new HostPort(address.getHostAddress(), target.port()));
            }
            lastProblem = null;
        } catch (Exception e) {
            String problem = "cannot resolve " + target.host() + ": " + e;
            if (!problem.equals(lastProblem)) {
                log.warn("discovery.dns={} problem=\"{}\" worker discovery failed; keeping known workers", target, problem);
            }
            lastProblem = problem;
            return; // a failed lookup never removes workers
        }
        registry.loop().execute(() -> {
            try {
                registry.discovered(found, properties);
            } catch (RuntimeException | AssertionError e) {
                failed(target, e);
            }
        });
    }

    @Override
    public void stop() {
        ScheduledFuture<?> current = task;
        if (current != null) {
            current.cancel(false);
        }
        task = null;
    }

    @Override
    public boolean isRunning() {
        return task != null;
    }
}
