package io.connectionswap.director.registry;

import io.connectionswap.director.config.DiscoveryProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.dns.DualStack;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.quic.HostPort;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.springframework.context.SmartLifecycle;

/**
 * Resolves {@code CONNECTION_SWAP_DISCOVERY_DNS} every interval and hands the addresses to the registry, which adds
 * new workers and forgets vanished ones once they are no longer fit for streams. The lookup does not block (the
 * {@link AddressResolver} is asynchronous: Netty's DNS resolver, which caches each answer for its record's TTL, so a
 * change behind the name is seen at the next round after the TTL). One round at a time: a round still waiting for
 * its answer when the next is due is not doubled. A round that fails is logged and counted
 * ({@code connection_swap_task_failures_total{task="dns_discovery"}}); the next one runs all the same. A failure that
 * repeats is logged at WARN the first time, then at DEBUG with a WARN reminder every few minutes
 * ({@link RepeatedProblems}), until a round resolves again.
 */
public final class DnsDiscovery implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DnsDiscovery.class);

    private final DiscoveryProperties properties;
    private final WorkerRegistry registry;
    private final AddressResolver resolver;
    private final DirectorMeters meters;
    private final RoutingLoopTask task = new RoutingLoopTask();
    private String lastProblem; // routing loop
    private final RepeatedProblems problems = RepeatedProblems.withDefaults();
    private boolean inFlight; // routing loop

    public DnsDiscovery(DiscoveryProperties properties, WorkerRegistry registry, AddressResolver resolver,
                        DirectorMeters meters) {
        this.meters = meters;
        this.properties = properties;
        this.registry = registry;
        this.resolver = resolver;
    }

    @Override
    public void start() {
        if (!properties.enabled()) {
            return;
        }
        HostPort target = properties.target();
        LogLine.info(log).field("discovery.dns", target).field("interval", properties.interval())
                .log("discovering workers through DNS");
        task.withFixedDelay(registry.loop(), () -> guarded(target), Duration.ZERO, properties.interval());
    }

    private void guarded(HostPort target) {
        try {
            lookup(target);
        } catch (RuntimeException | AssertionError e) {
            inFlight = false;
            failed(target, e);
        }
    }

    private void failed(HostPort target, Throwable failure) {
        meters.taskFailed(DirectorMeters.Task.DNS_DISCOVERY);
        LogLine.error(log).field("task", "dns_discovery").field("discovery.dns", target)
                .quoted("problem", failure.toString()).cause(failure)
                .log("worker discovery round failed; discovery goes on");
    }

    /** Starts one round; the answer is applied on the routing loop. Routing loop only. */
    void lookup(HostPort target) {
        if (inFlight) {
            LogLine.debug(log).field("discovery.dns", target)
                    .log("previous lookup still waiting for its answer; skipping this round");
            return;
        }
        inFlight = true;
        resolver.resolveAll(target.host()).whenComplete((addresses, failure) -> registry.loop().execute(() -> {
            inFlight = false;
            try {
                apply(target, addresses, failure);
            } catch (RuntimeException | AssertionError e) {
                failed(target, e);
            }
        }));
    }

    private void apply(HostPort target, List<InetAddress> addresses, Throwable failure) {
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            String problem = "cannot resolve " + target.host() + ": " + cause;
            RepeatedProblems.Occurrence occurrence = problems.occurred(problem, Level.WARN);
            occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("discovery.dns", target)
                    .quoted("problem", problem)).log("worker discovery failed; keeping known workers");
            lastProblem = problem;
            return; // a failed lookup never removes workers
        }
        if (lastProblem != null) {
            LogLine.info(log).field("discovery.dns", target).field("addresses", addresses.size())
                    .log("worker discovery resolves again");
            problems.forget();
        }
        lastProblem = null;
        Set<HostPort> found = new LinkedHashSet<>();
        for (InetAddress address : DualStack.oneFamily(addresses)) { // or each dual-stack pod is two workers
            found.add(new HostPort(address.getHostAddress(), target.port()));
        }
        registry.discovered(found, properties);
    }

    @Override
    public void stop() {
        task.cancel();
    }

    @Override
    public boolean isRunning() {
        return task.isScheduled();
    }
}
