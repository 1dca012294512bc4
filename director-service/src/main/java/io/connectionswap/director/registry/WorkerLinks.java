package io.connectionswap.director.registry;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.LoopTasks;
import io.connectionswap.protocol.quic.ShutdownCloseWindow;
import io.connectionswap.protocol.retry.Backoff;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The director's QUIC links to the workers of a {@link WorkerRegistry}: dialling each worker (and redialling it, with
 * backoff, when a dial fails or the link is lost), and replacing the link of a worker found through DNS by one with
 * token streams once it registers them. Confined to the registry's loop, like the registry, which it asks whether a
 * worker is still the current one; a link up or lost goes to the health state machine.
 */
final class WorkerLinks {

    /** The registry's logger: these lines are the registry's, as before they moved here. */
    private static final Logger log = LoggerFactory.getLogger(WorkerRegistry.class);
    private static final Duration LINK_RETRY_MAX = Duration.ofSeconds(2);
    private static final String DIRECTOR_STOPPING = "director stopping";
    /** Past the worker's close window: the closes' way here and the worker's last tasks. */
    private static final Duration REDIAL_MARGIN = Duration.ofMillis(500);
    /**
     * How long after a worker's SHUTTING_DOWN close its address is redialled: a draining worker's server is up until
     * its socket goes, up to {@link ShutdownCloseWindow#CONNECTION_CLOSE_WAIT} after those closes, and a redial in
     * that window would reach the dying process; with {@link #REDIAL_MARGIN}.
     */
    static final Duration REDIAL_AFTER_SHUTDOWN = ShutdownCloseWindow.CONNECTION_CLOSE_WAIT.plus(REDIAL_MARGIN);

    private final WorkerRegistry registry;
    private final WorkerHealthStates healthStates;
    private final EventLoop loop;
    private final Executor blocking;
    private final WorkerConnector connector;
    private final DirectorProperties properties;
    private final DirectorMeters meters;
    /** Set at shutdown: the links the routing loops close as they stop are not dialled again. */
    private volatile boolean closed;
    /** Links replaced by ones with token streams, waiting for their streams to end (any loop removes). */
    private final Set<WorkerConnection> replaced = ConcurrentHashMap.newKeySet();

    WorkerLinks(WorkerRegistry registry, WorkerHealthStates healthStates, EventLoop loop, Executor blocking,
                WorkerConnector connector, DirectorProperties properties, DirectorMeters meters) {
        this.registry = registry;
        this.healthStates = healthStates;
        this.loop = loop;
        this.blocking = blocking;
        this.connector = connector;
        this.properties = properties;
        this.meters = meters;
    }

    /** The director is stopping (any thread): from now on no dial starts, and none is retried. */
    void stopDialling() {
        closed = true;
    }

    /**
     * Closes the link of each of {@code workers} that has one, and the replaced links still carrying streams (the
     * director is stopping: the workers hear CONNECTION_CLOSE instead of holding the connections to their idle timeout).
     */
    void closeAll(Collection<WorkerEndpoint> workers) {
        for (WorkerEndpoint worker : workers) {
            WorkerConnection link = worker.link();
            if (link != null) {
                link.close(DIRECTOR_STOPPING);
            }
        }
        for (WorkerConnection link : replaced) {
            link.close(DIRECTOR_STOPPING);
        }
        replaced.clear();
    }

    /** Dials a worker just added (unless it has a link, or a dial is under way). */
    void dial(WorkerEndpoint worker) {
        connectLink(worker, linkBackoff(Duration.ofMillis(50)));
    }

    private void connectLink(WorkerEndpoint worker, Backoff backoff) {
        if (closed || !registry.isCurrent(worker) || worker.links().pending() || worker.linkUp()) {
            return;
        }
        worker.links().pending(true);
        blocking.execute(() -> {
            InetSocketAddress remote;
            try {
                remote = worker.address().resolve();
            } catch (RuntimeException e) {
                loop.execute(() -> {
                    worker.links().pending(false);
                    linkFailed(worker, backoff, "cannot resolve " + worker.address() + ": " + e.getMessage());
                });
                return;
            }
            loop.execute(() -> {
                // closed while the address was looked up: the routing loops a dial would use may be stopped already
                if (closed || !registry.isCurrent(worker)) {
                    worker.links().pending(false);
                    return;
                }
                connector.connect(worker, remote,
                                reason -> LoopTasks.executeUnlessStopped(loop, () -> linkLost(worker, reason)))
                        .addListener(connected -> {
                            worker.links().pending(false);
                            if (!connected.isSuccess()) {
                                linkFailed(worker, backoff, String.valueOf(connected.cause()));
                                return;
                            }
                            linkConnected(worker, (WorkerConnection) connected.getNow(), backoff);
                        });
            });
        });
    }

    /** A dial of a worker without a link succeeded: the link becomes its link, a sign of life. */
    private void linkConnected(WorkerEndpoint worker, WorkerConnection link, Backoff backoff) {
        if (!linkEstablished(worker, link, backoff)) {
            return;
        }
        worker.echoed(System.nanoTime()); // a fresh link is a sign of life
        LogLine.info(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                .field("tls.name", worker.tlsName()).field("token.stream", link.tokenStream())
                .log("connected to worker");
        healthStates.maybeHealthy(worker);
        // dialled before the worker registered the token stream (DNS found it first)
        relinkForTokenStreams(worker);
    }

    /**
     * A worker found through DNS was dialled knowing none of its features; once it registers the token stream (or once
     * a link dialled before that is up), the link is replaced by one that carries token streams, while the director's
     * token streams are on (after a director restart DNS finds every worker before it
     * registers again, and the fleet would relay a stream per generation until each link happened to drop). The new
     * link is dialled first, at once, even while streams are in flight; the old one is closed once the new one is up
     * and the streams on the old one have ended (those in flight, and those that started during the dial), which is no
     * loss of the worker.
     */
    void relinkForTokenStreams(WorkerEndpoint worker) {
        WorkerConnection old = worker.link();
        if (closed || !registry.isCurrent(worker) || old == null || old.tokenStream() || !properties.workerTokenStream()
                || !worker.supports(WorkerRegistration.TOKEN_STREAM) || worker.links().pending()) {
            return;
        }
        InetSocketAddress remote;
        try {
            remote = worker.address().resolve(); // an address from DNS: an IP, nothing to look up
        } catch (RuntimeException e) {
            return;
        }
        worker.links().pending(true);
        connector.connect(worker, remote,
                        reason -> LoopTasks.executeUnlessStopped(loop, () -> linkLost(worker, reason)))
                .addListener(connected -> {
                    worker.links().pending(false);
                    if (!closed && worker.link() == null) {
                        // the old link was lost meanwhile, and its redial skipped as this dial was pending: this dial
                        // is the worker's redial
                        Backoff backoff = linkBackoff(Duration.ofMillis(100));
                        if (connected.isSuccess()) {
                            linkConnected(worker, (WorkerConnection) connected.getNow(), backoff);
                        } else {
                            linkFailed(worker, backoff, String.valueOf(connected.cause()));
                        }
                        return;
                    }
                    if (!connected.isSuccess()) {
                        LogLine.debug(log).field("worker.addr", worker.address()).quoted("problem",
                                String.valueOf(connected.cause())).log("cannot dial a link with token streams; "
                                + "keeping the link without");
                        return;
                    }
                    WorkerConnection link = (WorkerConnection) connected.getNow();
                    if (!closed && worker.link() != old) {
                        link.close("link replaced meanwhile");
                        return;
                    }
                    if (!linkEstablished(worker, link, linkBackoff(Duration.ofMillis(100)))) {
                        return;
                    }
                    LogLine.info(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                            .field("token.stream", link.tokenStream())
                            .log("replaced worker link to carry token streams");
                    // the streams in flight, and those picked while the new link was dialled, are on the old one: it
                    // goes once they have ended (linkLost ignores it: a newer link is up). Retired after the new link
                    // is the worker's: a routing loop that read the old one just before is refused and opens its
                    // stream on the new one, instead of on a link that may be closing
                    replaced.add(old);
                    old.retire(() -> {
                        replaced.remove(old);
                        old.close("replaced by a link with token streams");
                    });
                });
    }

    /**
     * A dialled link came up: it becomes the worker's link, unless the director began to stop or the worker is gone
     * meanwhile (then it is closed and false returned).
     */
    private boolean linkEstablished(WorkerEndpoint worker, WorkerConnection link, Backoff backoff) {
        if (closed) {
            link.close(DIRECTOR_STOPPING);
            return false;
        }
        if (!registry.isCurrent(worker)) {
            link.close("worker no longer registered");
            return false;
        }
        worker.linkUp(link, backoff, System.nanoTime());
        meters.workerConnectionsOpened(link.connections());
        return true;
    }

    /** Retries of one worker link: capped exponential backoff with full jitter, up to {@link #LINK_RETRY_MAX}. */
    private static Backoff linkBackoff(Duration first) {
        return Backoff.exponential(first, LINK_RETRY_MAX);
    }

    private void linkFailed(WorkerEndpoint worker, Backoff backoff, String problem) {
        if (closed || !registry.isCurrent(worker)) {
            return; // gone, or a dial under way when the director began to stop (it fails as the loops stop)
        }
        boolean first = backoff.attempts() == 0;
        boolean wasCapped = backoff.capped();
        Duration retryDelay = backoff.next();
        boolean draining = worker.state() == WorkerState.DRAINING || worker.drainedAway();
        if (!draining && (first || !wasCapped && backoff.capped())) {
            // the first failure, and the moment retries reach their slowest pace; the rest at DEBUG. A worker that said
            // it drains is expected to go away (it is still dialled, in case it comes back at the same address)
            LogLine.warn(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                    .field("retry.in", retryDelay).quoted("problem", problem).log("cannot connect to worker");
        } else {
            LogLine.debug(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                    .field("retry.in", retryDelay).quoted("problem", problem).log("cannot connect to worker");
        }
        loop.schedule(() -> connectLink(worker, backoff), retryDelay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * The worker closed its link with SHUTTING_DOWN: its server closes as it drains, a planned end and no failure. Its
     * DRAIN message may come after the close or not at all (an idle worker's drain and close race, and QUIC drops
     * stream data unsent at the close), so the close is its drain: the streams move as a drain, as that message
     * would move them; a worker already draining (its drain timed out with streams open) has those left moved too.
     */
    private void workerShutDown(WorkerEndpoint worker, String reason) {
        if (worker.state() != WorkerState.DRAINING) {
            registry.startDraining(worker, reason); // the process linked now: it drains even if one before it went
            return;
        }
        registry.workerFailed(worker, "drain", "worker " + worker.label() + " closed its link as it drains ("
                + reason + ")");
    }

    private void linkLost(WorkerEndpoint worker, String reason) {
        if (closed || !registry.isCurrent(worker) || worker.linkUp()) {
            return; // gone, or an older connection closed after a newer one came up
        }
        WorkerConnection lost = worker.link(); // the link that went down: a newer one would be up
        worker.link(null);
        boolean shutDown = lost != null && lost.closedByWorkerShuttingDown();
        if (shutDown) {
            workerShutDown(worker, reason);
        } else {
            healthStates.markUnhealthy(worker, "connection_lost", "quic connection to worker lost: " + reason);
        }
        boolean drained = worker.state() == WorkerState.DRAINING;
        if (drained) {
            // the drained process is gone; what answers at its address next is another one (a restart keeps a pod's
            // IP, and a DNS entry has no instance id to tell them apart): back after the rise threshold, as any
            // worker that failed, instead of DRAINING for good
            worker.wentAwayAfterDraining(reason);
            registry.publish();
        }
        if (shutDown) {
            // the process is going: not redialled inside its close window, where it would still answer (a link to it
            // would die with it unannounced, or as a lost connection); what answers after it is a new process
            LogLine.debug(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                    .field("retry.in", REDIAL_AFTER_SHUTDOWN)
                    .log("worker shut down; redialling after its close window");
            Backoff backoff = linkBackoff(Duration.ofMillis(100));
            loop.schedule(() -> connectLink(worker, backoff), REDIAL_AFTER_SHUTDOWN.toNanos(), TimeUnit.NANOSECONDS);
            return;
        }
        Backoff dialed = worker.links().dialBackoff();
        if (dialed != null && System.nanoTime() - worker.linkUpNanos() < properties.linkHeartbeatTimeout().toNanos()) {
            // lost within a heartbeat timeout of coming up (a worker that rejects this director's certificate, which
            // TLS 1.3 shows only after the dialler's handshake; one at its connection limit): a failed attempt, so the
            // redials back off and the first is a WARN, instead of a tight loop of dials that each "succeed"
            linkFailed(worker, dialed, "link lost right after it came up: " + reason);
            return;
        }
        connectLink(worker, linkBackoff(Duration.ofMillis(100)));
    }
}
