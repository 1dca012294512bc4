package io.connectionswap.director.registry;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.DiscoveryProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.HostPort;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers the director knows, keyed by the address it dials; their health state machine is
 * {@link WorkerHealthStates}, their QUIC links {@link WorkerLinks}. A worker that restarts on the same address
 * replaces its old entry (listed once). Mutated only on the registry's loop (the first routing loop); every routing
 * loop picks workers from its published snapshot.
 */
public final class WorkerRegistry {

    private static final Logger log = LoggerFactory.getLogger(WorkerRegistry.class);
    /** The longest {@link #close()} waits for the registry's loop. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final EventLoop loop;
    private final WorkerConnector connector;
    private final DirectorProperties properties;
    private final Map<String, WorkerEndpoint> workers = new LinkedHashMap<>();
    /**
     * DNS-only workers forgotten while not fit for streams after they had been healthy, and when (for evict-after):
     * listed again, they come back after the rise threshold. Registry loop only.
     */
    private final Map<HostPort, Instant> leftDnsAfterFailing = new HashMap<>();
    private final WorkerSelector selector;
    private volatile List<WorkerEndpoint> snapshot = List.of();
    private final DirectorMeters meters;
    private final WorkerHealthStates healthStates;
    private final WorkerLinks links;
    private final List<WorkerFailureListener> failureListeners = new CopyOnWriteArrayList<>();

    public WorkerRegistry(EventLoop loop, Executor blocking, WorkerConnector connector, DirectorProperties properties,
                          HealthProperties health, DirectorMeters meters) {
        this.meters = meters;
        this.loop = loop;
        this.connector = connector;
        this.properties = properties;
        StreamRoom room = new StreamRoom(meters);
        this.selector = new WorkerSelector(room::has, room::passedOver);
        this.healthStates = new WorkerHealthStates(this, health);
        this.links = new WorkerLinks(this, healthStates, loop, blocking, connector, properties, meters);
    }

    /**
     * The director is shutting down (Spring calls this before it stops the routing loops and the blocking executor
     * the registry uses): every link is closed, so that each worker hears CONNECTION_CLOSE at once and frees the
     * link's connections and streams (stopping the loops alone sends nothing, and the worker held them until its
     * idle timeout); a link lost from now on is not dialled again, nor reported as a worker failure.
     */
    public void close() {
        links.stopDialling(); // from now on no dial starts, and none is retried
        // the links close on the registry's loop, after the task it runs now: a dial under way there hands its
        // connections to the routing loops while they still run (Spring stops them right after this)
        if (loop.inEventLoop()) {
            closeLinks();
            return;
        }
        Future<?> done;
        try {
            done = loop.submit(this::closeLinks);
        } catch (RejectedExecutionException stopped) {
            return; // the loop has stopped: nothing on it can dial
        }
        if (!done.awaitUninterruptibly(CLOSE_WAIT.toMillis())) {
            LogLine.warn(log).field("waited.ms", CLOSE_WAIT.toMillis())
                    .log("registry loop busy at shutdown; stopping without waiting for the worker links to close");
        }
    }

    private void closeLinks() {
        links.closeAll(snapshot);
    }

    /** {@code listener} hears of every failed worker, on the registry's loop (each routing loop's relay registers). */
    public void onWorkerFailed(WorkerFailureListener listener) {
        failureListeners.add(listener);
    }

    /** Tells every failure listener that {@code worker} failed: its streams move. */
    void workerFailed(WorkerEndpoint worker, String reason, String detail) {
        for (WorkerFailureListener listener : failureListeners) {
            listener.workerFailed(worker, reason, detail);
        }
    }

    public EventLoop loop() {
        return loop;
    }

    /** A thread-safe view for health endpoints and gauges. */
    public List<WorkerEndpoint> workers() {
        return snapshot;
    }

    public long healthyCount() {
        return snapshot.stream().filter(WorkerEndpoint::eligible).count();
    }

    /** Where the frames of workers' token streams go: the relays, which exist after this registry. */
    public void routeWorkerFrames(WorkerFrames frames) {
        connector.routeWorkerFrames(frames);
    }

    /**
     * Registers (or re-registers) a worker; returns its entry.
     *
     * @throws InvalidRegistrationException when the address, health URL, label or models are not valid; the
     *                                      registry and every other worker are untouched
     */
    public WorkerEndpoint register(WorkerRegistration registration) {
        assert loop.inEventLoop();
        RegistrationValidator.Checked checked = RegistrationValidator.check(registration);
        HostPort address = checked.address();
        String key = address.toString();
        WorkerEndpoint existing = workers.get(key);
        if (existing != null && existing.source() == WorkerSource.DNS) {
            existing.adopt(registration.label(), checked.healthUrl(),
                    Duration.ofMillis(registration.tokenIntervalMillis()), registration.instanceId(),
                    registration.models());
            existing.features(registration.features());
            existing.registrationOpened();
            meters.workerAdded(existing.label()); // its meters under its label now, at 0, as for any worker
            publish();
            LogLine.info(log).field("worker.addr", key).field("worker.label", existing.label())
                    .field("count", workers.size()).log("registered worker (found through DNS before)");
            links.relinkForTokenStreams(existing);
            return existing;
        }
        if (existing != null && existing.instanceId().equals(registration.instanceId())) {
            existing.registrationOpened();
            LogLine.info(log).field("worker.addr", key).field("worker.label", existing.label())
                    .field("count", workers.size()).log("worker registered again (same instance)");
            return existing;
        }
        boolean failedBefore = existing != null && existing.state() == WorkerState.UNHEALTHY;
        if (existing != null) {
            LogLine.info(log).field("worker.addr", key).field("worker.label", registration.label())
                    .field("old.instance", existing.instanceId()).field("new.instance", registration.instanceId())
                    .log("worker restarted; replacing its entry");
            remove(existing, "connection_lost", "worker restarted on the same address");
        }
        WorkerEndpoint worker = new WorkerEndpoint(registration.label(), address, checked.healthUrl(),
                Duration.ofMillis(registration.tokenIntervalMillis()), registration.instanceId(), tlsName(address),
                WorkerSource.REGISTRATION, registration.models());
        if (failedBefore) {
            // a worker that failed (crashed) and came back at its address: the rise threshold, not one good poll, so
            // a crash loop does not take every new stream each time it is up
            worker.cameBackAfterFailing();
        }
        worker.features(registration.features());
        worker.registrationOpened();
        workers.put(key, worker);
        meters.workerAdded(worker.label());
        publish();
        LogLine.info(log).field("worker.addr", key).field("worker.label", worker.label())
                .field("count", workers.size()).log("registered worker");
        warnIfLabelInUse(worker);
        links.dial(worker);
        return worker;
    }

    /**
     * Labels name workers to people and to clients: a resumed generation avoids the worker that failed it by label,
     * and the per-worker meters and log lines go by label. Two workers with one label (the default {@code worker} on
     * both) blur all three, so the second is warned about once, when it registers.
     */
    private void warnIfLabelInUse(WorkerEndpoint worker) {
        for (WorkerEndpoint other : workers.values()) {
            if (other != worker && other.label().equals(worker.label())) {
                LogLine.warn(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                        .field("also.at", other.address()).log("worker label already in use by another worker; give "
                                + "each worker its own CONNECTION_SWAP_WORKER_LABEL: a resumed generation avoids the "
                                + "worker that failed it by label, and meters and logs by label mix the two");
                return;
            }
        }
    }

    /** The name a worker's certificate must carry: CONNECTION_SWAP_WORKER_TLS_NAME, else the host dialled. */
    private String tlsName(HostPort address) {
        String configured = properties.workerTlsName();
        return configured == null || configured.isBlank() ? address.host() : configured;
    }

    /**
     * The addresses behind the discovery name now: new ones become workers (PENDING until polled healthy); DNS-only
     * workers no longer listed are forgotten once they are not fit for streams (a draining pod leaves DNS while its
     * streams still move away).
     */
    public void discovered(Set<HostPort> addresses, DiscoveryProperties discovery) {
        assert loop.inEventLoop();
        Instant now = Instant.now();
        leftDnsAfterFailing.values().removeIf(at -> at.isBefore(now.minus(properties.evictAfter())));
        for (WorkerEndpoint worker : List.copyOf(workers.values())) {
            boolean listed = addresses.contains(worker.address());
            worker.inDns(listed);
            if (!listed && worker.source() == WorkerSource.DNS && !worker.eligible()) {
                LogLine.info(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                        .field("state", worker.state()).log("worker left DNS; forgetting it");
                if (worker.everHealthy()) {
                    // a Service drops exactly the pod that fails its readiness: listed again, it comes back after the
                    // rise threshold, not one good poll
                    leftDnsAfterFailing.put(worker.address(), now);
                }
                remove(worker, "connection_lost", "worker left DNS");
            }
        }
        for (HostPort address : addresses) {
            String key = address.toString();
            if (workers.containsKey(key)) {
                continue;
            }
            WorkerEndpoint worker = new WorkerEndpoint(key, address,
                    URI.create("http://" + address.uriHost() + ":" + discovery.healthPort() + discovery.healthPath()),
                    discovery.tokenInterval(), "dns:" + key, tlsName(address), WorkerSource.DNS, List.of());
            if (leftDnsAfterFailing.remove(address) != null) {
                worker.cameBackAfterFailing();
            }
            worker.inDns(true);
            workers.put(key, worker);
            meters.workerAdded(worker.label());
            publish();
            LogLine.info(log).field("worker.addr", key).field("worker.label", worker.label())
                    .field("count", workers.size()).log("discovered worker through DNS");
            links.dial(worker);
        }
    }

    /** Workers known (any thread: the published snapshot). */
    public int size() {
        return snapshot.size();
    }

    /**
     * Stream channels held by the director's links to workers (for {@code connection_swap_quic_streams_open}; any
     * thread).
     */
    public int heldStreams() {
        int held = 0;
        for (WorkerEndpoint worker : snapshot) {
            WorkerConnection link = worker.link();
            if (link != null) {
                held += Math.max(0, link.streamsHeld());
            }
        }
        return held;
    }

    /**
     * The worker asked to drain (its DRAIN message on its registration stream, or a hand-off it refused): no new
     * streams, and its streams move away now. Any thread.
     */
    public void drain(WorkerEndpoint worker, String reason) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> drain(worker, reason));
            return;
        }
        if (!isCurrent(worker) || worker.state() == WorkerState.DRAINING) {
            return;
        }
        if (worker.drainedAway() || worker.registeredProcessGone()) {
            // its DRAIN message came after its SHUTTING_DOWN close, taken as the drain: the process is gone, and its
            // entry stays UNHEALTHY so that what answers at its address next comes back after the rise threshold; a
            // new process linked there since (not registered yet, so still this entry) is not the one that drains
            LogLine.debug(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                    .field("reason", reason).log("worker drained and went away already; drain ignored");
            return;
        }
        startDraining(worker, reason);
    }

    /** The worker drains (as it asked, or as its link's SHUTTING_DOWN close says): its streams move away now. */
    void startDraining(WorkerEndpoint worker, String reason) {
        LogLine.info(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                .field("streams", worker.activeStreams()).field("reason", reason)
                .log("worker draining; moving its streams");
        worker.state(WorkerState.DRAINING, "drain: " + reason);
        workerFailed(worker, "drain", "worker " + worker.label() + " is draining (" + reason + ")");
    }

    /** A registration stream of the worker closed (one {@link #register} returned it); any thread. */
    public void registrationClosed(WorkerEndpoint worker) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> registrationClosed(worker));
            return;
        }
        worker.registrationClosed();
    }

    /** A stream on this worker stalled: take it out of rotation like a failed health check. Any thread. */
    public void stalled(WorkerEndpoint worker, String detail) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> stalled(worker, detail));
            return;
        }
        healthStates.markUnhealthy(worker, "stall", detail);
    }

    /** Picks a worker serving {@code model} (null: any) for a stream; null when none is eligible. Any thread. */
    public WorkerEndpoint pick(String avoidLabel, String model) {
        return selector.pick(snapshot, avoidLabel, model);
    }

    /** Whether any known worker, healthy or not, serves {@code model}. Any thread. */
    public boolean anyServes(String model) {
        for (WorkerEndpoint worker : snapshot) {
            if (worker.serves(model)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a worker named {@code model} among the models it registered (not one assumed to serve any). */
    public boolean anyNames(String model) {
        for (WorkerEndpoint worker : snapshot) {
            if (worker.models().contains(model)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Opens a stream on the director's connection to {@code worker}: its link, or the link that replaced it as this
     * was called (a replaced link refuses new streams, and may be closed already when it had none; the worker's link
     * is the replacement by then). The opening tells whether the link it is on has token streams.
     */
    public StreamOpening openStream(WorkerEndpoint worker, ChannelHandler initializer) {
        WorkerConnection link = worker.link();
        StreamOpening opening = openOn(link, initializer);
        if (opening == null) {
            WorkerConnection replacement = worker.link();
            if (replacement != link) {
                opening = openOn(replacement, initializer);
            }
        }
        return opening != null ? opening : new StreamOpening(ImmediateEventExecutor.INSTANCE.newFailedFuture(
                new IllegalStateException("no connection to worker " + worker)), false); // heard on the caller's loop
    }

    /** A stream opening on {@code link}; null when there is no link, it is down, or it was retired. */
    private static StreamOpening openOn(WorkerConnection link, ChannelHandler initializer) {
        if (link == null || !link.isUp()) {
            return null;
        }
        Future<QuicStreamChannel> stream = link.openStream(initializer);
        return stream == null ? null : new StreamOpening(stream, link.tokenStream());
    }

    /** Every worker whose health should be polled now. */
    public Collection<WorkerEndpoint> pollable() {
        List<WorkerEndpoint> due = new ArrayList<>();
        for (WorkerEndpoint worker : workers.values()) {
            if (!worker.pollInFlight()) {
                due.add(worker);
            }
        }
        return due;
    }

    public void pollStarted(WorkerEndpoint worker) {
        worker.pollInFlight(true);
    }

    /** Applies a health poll result to the state machine. */
    public void pollCompleted(WorkerEndpoint worker, PollResult result) {
        assert loop.inEventLoop();
        worker.pollInFlight(false);
        if (!isCurrent(worker)) {
            return;
        }
        healthStates.pollCompleted(worker, result);
        maybeEvict(worker);
    }

    /**
     * Removes a worker that is gone: neither registered nor in DNS, and for {@code connection-swap.director.evict-after}
     * either its health unreachable or no QUIC link to it. The link counts on its own because the address of a gone
     * worker may answer HTTP as something else (Kubernetes gives a deleted pod's IP to another pod), which kept its
     * health "reachable" and the entry, polled and dialled, for good.
     */
    private void maybeEvict(WorkerEndpoint worker) {
        if (worker.registrationOpen() || worker.inDns()) {
            return;
        }
        Instant before = Instant.now().minus(properties.evictAfter());
        Instant unreachable = worker.unreachableSince();
        Instant linkDown = worker.linkUp() ? null : worker.linkDownSince();
        Instant since = unreachable != null && unreachable.isBefore(before) ? unreachable
                : linkDown != null && linkDown.isBefore(before) ? linkDown : null;
        if (since != null) {
            LogLine.info(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                    .field("unreachable.since", unreachable).field("link.down.since", linkDown)
                    .log("evicting worker that is gone");
            remove(worker, "connection_lost", "worker evicted");
        }
    }

    private void remove(WorkerEndpoint worker, String reason, String detail) {
        workers.remove(worker.address().toString());
        publish();
        workerFailed(worker, reason, detail);
        WorkerConnection link = worker.link();
        if (link != null) {
            link.close(detail);
        }
    }

    /** Whether {@code worker} is the entry listed for its address (not removed, nor replaced). */
    boolean isCurrent(WorkerEndpoint worker) {
        return workers.get(worker.address().toString()) == worker;
    }

    /** Publishes the workers as the snapshot every routing loop picks from. */
    void publish() {
        snapshot = List.copyOf(workers.values());
    }
}
