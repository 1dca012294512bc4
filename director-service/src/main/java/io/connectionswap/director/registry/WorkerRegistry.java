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
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
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
 * {@link WorkerHealthStates}, their QUIC links {@link WorkerLinks}. Workers come in by registration
 * ({@link WorkerRegistrations}) and DNS ({@link DnsMembership}), and go when replaced, unlisted or gone
 * ({@link WorkerEviction}); a worker that restarts on the same address replaces its old entry (listed once). Mutated
 * only on the registry's loop (the first routing loop); every routing loop picks workers from its published snapshot
 * ({@link PublishedWorkers}).
 */
public final class WorkerRegistry {

    private static final Logger log = LoggerFactory.getLogger(WorkerRegistry.class);
    /** The longest {@link #close()} waits for the registry's loop. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final EventLoop loop;
    private final WorkerConnector connector;
    private final DirectorProperties properties;
    private final Map<String, WorkerEndpoint> workers = new LinkedHashMap<>();
    private final PublishedWorkers published;
    private final DirectorMeters meters;
    private final WorkerHealthStates healthStates;
    private final WorkerLinks links;
    private final WorkerRegistrations registrations;
    private final DnsMembership dns;
    private final WorkerEviction eviction;
    private final List<WorkerFailureListener> failureListeners = new CopyOnWriteArrayList<>();

    public WorkerRegistry(EventLoop loop, Executor blocking, WorkerConnector connector, DirectorProperties properties,
                          HealthProperties health, DirectorMeters meters) {
        this.meters = meters;
        this.loop = loop;
        this.connector = connector;
        this.properties = properties;
        StreamRoom room = new StreamRoom(meters);
        this.published = new PublishedWorkers(new WorkerSelector(room::has, room::passedOver));
        this.healthStates = new WorkerHealthStates(this, health);
        this.links = new WorkerLinks(this, healthStates, loop, blocking, connector, properties, meters);
        this.registrations = new WorkerRegistrations(this, links, meters);
        this.dns = new DnsMembership(this, links, properties);
        this.eviction = new WorkerEviction(this, properties);
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
        links.closeAll(published.all());
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
        return published.all();
    }

    public long healthyCount() {
        return published.healthyCount();
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
        return registrations.register(registration);
    }

    /** The name a worker's certificate must carry: CONNECTION_SWAP_WORKER_TLS_NAME, else the host dialled. */
    String tlsName(HostPort address) {
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
        dns.discovered(addresses, discovery);
    }

    /** Workers known (any thread: the published snapshot). */
    public int size() {
        return published.size();
    }

    /**
     * Stream channels held by the director's links to workers (for {@code connection_swap_quic_streams_open}; any
     * thread).
     */
    public int heldStreams() {
        return published.heldStreams();
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
        if (worker.drainedAway() || worker.presence().registeredProcessGone()) {
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
        worker.presence().registrationClosed();
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
        return published.pick(avoidLabel, model);
    }

    /** Whether any known worker, healthy or not, serves {@code model}. Any thread. */
    public boolean anyServes(String model) {
        return published.anyServes(model);
    }

    /** Whether a worker named {@code model} among the models it registered (not one assumed to serve any). */
    public boolean anyNames(String model) {
        return published.anyNames(model);
    }

    /**
     * Opens a stream on the director's connection to {@code worker}: its link, or the link that replaced it as this
     * was called (a replaced link refuses new streams, and may be closed already when it had none; the worker's link
     * is the replacement by then). The opening tells whether the link it is on has token streams.
     */
    public StreamOpening openStream(WorkerEndpoint worker, ChannelHandler initializer) {
        return StreamOpening.open(worker, initializer);
    }

    /** Every worker whose health should be polled now. */
    public Collection<WorkerEndpoint> pollable() {
        List<WorkerEndpoint> due = new ArrayList<>();
        for (WorkerEndpoint worker : workers.values()) {
            if (!worker.polls().pollInFlight()) {
                due.add(worker);
            }
        }
        return due;
    }

    public void pollStarted(WorkerEndpoint worker) {
        worker.polls().pollInFlight(true);
    }

    /** Applies a health poll result to the state machine. */
    public void pollCompleted(WorkerEndpoint worker, PollResult result) {
        assert loop.inEventLoop();
        worker.polls().pollInFlight(false);
        if (!isCurrent(worker)) {
            return;
        }
        healthStates.pollCompleted(worker, result);
        eviction.maybeEvict(worker);
    }

    /** Unlists {@code worker}: its streams move, its link closes. */
    void remove(WorkerEndpoint worker, String reason, String detail) {
        workers.remove(worker.address().toString());
        publish();
        workerFailed(worker, reason, detail);
        WorkerConnection link = worker.link();
        if (link != null) {
            link.close(detail);
        }
    }

    /** The entry listed for the address {@code key} ({@link HostPort#toString}), or null. Registry loop only. */
    WorkerEndpoint listed(String key) {
        return workers.get(key);
    }

    /** The entries listed, in the order they were added (a live view). Registry loop only. */
    Collection<WorkerEndpoint> listed() {
        return workers.values();
    }

    /** How many entries are listed. Registry loop only. */
    int listedCount() {
        return workers.size();
    }

    /** Lists {@code worker} at the address {@code key}, with its meters, and publishes it. Registry loop only. */
    void add(String key, WorkerEndpoint worker) {
        workers.put(key, worker);
        meters.workerAdded(worker.label());
        publish();
    }

    /** Whether {@code worker} is the entry listed for its address (not removed, nor replaced). */
    boolean isCurrent(WorkerEndpoint worker) {
        return workers.get(worker.address().toString()) == worker;
    }

    /** Publishes the workers as the snapshot every routing loop picks from. */
    void publish() {
        published.publish(workers.values());
    }
}
