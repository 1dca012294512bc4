package io.connectionswap.director.registry;

import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.retry.Backoff;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One worker as the director sees it. Its state is changed on the registry's loop only; the routing loops read it
 * (volatile fields), count their streams on it and note its signs of life; the Actuator health endpoint reads it
 * from other threads. Its health polls are {@link PollHistory}, its link {@link LinkRecord}, and what keeps its entry
 * listed, or tells that its process went away, {@link WorkerPresence}.
 */
public final class WorkerEndpoint {

    /** Signs of life closer together than this are not written again (every routing loop writes them per frame). */
    private static final long ALIVE_RESOLUTION_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private volatile String label;
    private final HostPort address;
    private volatile URI healthUrl;
    private volatile Duration tokenInterval;
    private volatile String instanceId;
    private volatile java.util.List<String> models;
    private final String tlsName;
    private volatile WorkerSource source;
    private volatile WorkerState state = WorkerState.PENDING;
    private volatile String stateReason = "registered";
    private volatile Instant stateSince = Instant.now();
    private volatile boolean everHealthy;
    private final WorkerPresence presence = new WorkerPresence();
    private final PollHistory polls = new PollHistory();
    private final AtomicInteger activeStreams = new AtomicInteger();
    private final LinkRecord links = new LinkRecord();
    private volatile long lastFrameNanos = System.nanoTime();
    private volatile long lastEchoNanos = lastFrameNanos;
    /** Protocol features the worker registered (none when found through DNS and not registered). */
    private volatile java.util.List<String> features = java.util.List.of();

    public WorkerEndpoint(String label, HostPort address, URI healthUrl, Duration tokenInterval, String instanceId,
                   String tlsName, WorkerSource source, java.util.List<String> models) {
        this.models = java.util.List.copyOf(models);
        this.label = label;
        this.address = address;
        this.healthUrl = healthUrl;
        this.tokenInterval = tokenInterval;
        this.instanceId = instanceId;
        this.tlsName = tlsName;
        this.source = source;
    }

    public String label() {
        return label;
    }

    public HostPort address() {
        return address;
    }

    public URI healthUrl() {
        return healthUrl;
    }

    public Duration tokenInterval() {
        return tokenInterval;
    }

    public String instanceId() {
        return instanceId;
    }

    /** Model names the worker serves; empty when it never said (found through DNS and not registered). */
    public java.util.List<String> models() {
        return models;
    }

    /**
     * Whether the worker serves {@code model}: any worker serves a request that names no model, and a worker that
     * never told its models (DNS-discovered, unregistered) is assumed to serve any.
     */
    public boolean serves(String model) {
        return model == null || models.isEmpty() || models.contains(model);
    }

    public String tlsName() {
        return tlsName;
    }

    /** The protocol features the worker's registration named; links opened from now on use those the director knows. */
    void features(java.util.List<String> registered) {
        features = java.util.List.copyOf(registered);
    }

    /** Whether the worker registered {@code feature} ({@code WorkerRegistration.TOKEN_STREAM}). */
    public boolean supports(String feature) {
        return features.contains(feature);
    }

    public WorkerSource source() {
        return source;
    }

    public WorkerState state() {
        return state;
    }

    public String stateReason() {
        return stateReason;
    }

    public Instant stateSince() {
        return stateSince;
    }

    public boolean everHealthy() {
        return everHealthy;
    }

    public int consecutiveFailures() {
        return polls.consecutiveFailures();
    }

    public int consecutiveSuccesses() {
        return polls.consecutiveSuccesses();
    }

    public Instant lastPollAt() {
        return polls.lastPollAt();
    }

    public String lastPollResult() {
        return polls.lastPollResult();
    }

    /** Its health polls: results, runs, unreachable since, in flight (registry loop writes). */
    PollHistory polls() {
        return polls;
    }

    /** Relayed streams on this worker now, over every routing loop. */
    public int activeStreams() {
        return activeStreams.get();
    }

    public boolean linkUp() {
        return links.up();
    }

    /** Whether the current link carries the worker's tokens on a token stream per connection. */
    public boolean tokenStream() {
        return links.tokenStream();
    }

    /** Gets new streams: healthy and reachable over QUIC. */
    public boolean eligible() {
        return state == WorkerState.HEALTHY && linkUp();
    }

    /**
     * A frame arrived from this worker on any of its streams (any routing loop; per relayed frame, so the shared
     * field is not written again for a frame less than {@link #ALIVE_RESOLUTION_NANOS} after the one it holds; an
     * earlier time, which only a caller's own clock gives, is written as it is).
     */
    public void heardFrom(long nanos) {
        long since = nanos - lastFrameNanos;
        if (since > ALIVE_RESOLUTION_NANOS || since < 0) {
            lastFrameNanos = nanos;
        }
    }

    /** When a frame last arrived from this worker on any stream; its creation time before the first one. */
    public long lastFrameNanos() {
        return lastFrameNanos;
    }

    /** The worker echoed a heartbeat on the director's link to it: its event loop runs (any routing loop). */
    public void echoed(long nanos) {
        lastEchoNanos = nanos;
    }

    /** The last sign of life of the worker process: a heartbeat echo on its link or a frame on any stream. */
    public long lastAliveNanos() {
        return lastEchoNanos - lastFrameNanos > 0 ? lastEchoNanos : lastFrameNanos;
    }

    /** A relay session began on this worker (any routing loop). */
    public void streamStarted() {
        activeStreams.incrementAndGet();
    }

    /** A relay session on this worker ended or moved away (any routing loop). */
    public void streamEnded() {
        activeStreams.decrementAndGet();
    }

    /** A worker found through DNS registered itself: take its name, health URL and token interval. */
    void adopt(String newLabel, URI newHealthUrl, Duration newTokenInterval, String newInstanceId,
               java.util.List<String> newModels) {
        this.models = java.util.List.copyOf(newModels);
        this.label = newLabel;
        this.healthUrl = newHealthUrl;
        this.tokenInterval = newTokenInterval;
        this.instanceId = newInstanceId;
        this.source = WorkerSource.REGISTRATION;
    }

    /** Its link: the connection, the dial that made it, since when it has none (registry loop writes). */
    LinkRecord links() {
        return links;
    }

    /** What keeps its entry listed (DNS, a registration stream), and whether its process went away (registry loop). */
    WorkerPresence presence() {
        return presence;
    }

    WorkerConnection link() {
        return links.current();
    }

    void link(WorkerConnection newLink) {
        links.set(newLink);
        if (newLink != null) {
            presence.linked();
        }
    }

    /**
     * The link came up at {@code nanos} through a dial that waited by {@code dialBackoff}: a link lost soon after goes
     * on with that backoff, as a dial that failed (registry loop only).
     */
    void linkUp(WorkerConnection newLink, Backoff dialBackoff, long nanos) {
        link(newLink);
        links.dialed(dialBackoff, nanos);
    }

    long linkUpNanos() {
        return links.upNanos();
    }

    void state(WorkerState newState, String reason) {
        if (newState == WorkerState.HEALTHY) {
            everHealthy = true;
        }
        this.state = newState;
        this.stateReason = reason;
        this.stateSince = Instant.now();
    }

    /** Whether the worker drained and then went away, and has had no link since (its redials are expected to fail). */
    boolean drainedAway() {
        return presence.drainedAway();
    }

    /** It drained and its link closed: it is gone, and another process may come at its address. */
    void wentAwayAfterDraining(String reason) {
        state(WorkerState.UNHEALTHY, "drained, then its connection closed: " + reason);
        polls.resetSuccesses();
        presence.wentAway(source == WorkerSource.REGISTRATION);
    }

    /** A new process at the address of one that failed: it comes back after the rise threshold, as that one would. */
    void cameBackAfterFailing() {
        everHealthy = true;
    }

    @Override
    public String toString() {
        return label + "@" + address;
    }
}
