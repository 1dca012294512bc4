package io.connectionswap.director.registry;

import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.retry.Backoff;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One worker as the director sees it. Its state is changed on the registry's loop only; the routing loops read it
 * (volatile fields), count their streams on it and note its signs of life; the Actuator health endpoint reads it
 * from other threads. Its health polls are {@link PollHistory}.
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
    private boolean inDns;
    private volatile WorkerState state = WorkerState.PENDING;
    private volatile String stateReason = "registered";
    private volatile Instant stateSince = Instant.now();
    private volatile boolean everHealthy;
    private boolean drainedAway; // registry loop only
    /** The process that registered this entry drained and went away; a registration clears it (registry loop). */
    private boolean registeredProcessGone;
    private Backoff linkDialBackoff; // registry loop only
    private long linkUpNanos; // registry loop only
    private final PollHistory polls = new PollHistory();
    private final AtomicInteger activeStreams = new AtomicInteger();
    private final AtomicBoolean outOfStreamCredit = new AtomicBoolean();
    private volatile Instant linkDownSince = Instant.now();
    private volatile long lastFrameNanos = System.nanoTime();
    private volatile long lastEchoNanos = lastFrameNanos;
    private volatile WorkerConnection link;
    private boolean linkPending;
    /** Registration streams of this worker that registered and are open (registry loop). */
    private int openRegistrations;
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
        WorkerConnection current = link;
        return current != null && current.isUp();
    }

    /** Whether the current link carries the worker's tokens on a token stream per connection. */
    public boolean tokenStream() {
        WorkerConnection current = link;
        return current != null && current.tokenStream();
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

    /**
     * Whether the worker's model sets its own pace (registered with token interval 0, e.g. an OpenAI-compatible
     * upstream): its streams are judged by time-to-first-token and inter-token allowances, not by a fixed interval.
     */
    public boolean selfPaced() {
        return tokenInterval.isZero();
    }

    /**
     * Records whether a routing loop found this worker's link without stream credit ({@link StreamRoom}); true when
     * that is news (an episode begins or ends). Any routing loop.
     */
    boolean outOfStreamCredit(boolean out) {
        return outOfStreamCredit.get() != out && outOfStreamCredit.compareAndSet(!out, out);
    }

    /** Whether a routing loop found this worker's link without stream credit, and not every loop with credit since. */
    boolean outOfStreamCredit() {
        return outOfStreamCredit.get();
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

    boolean inDns() {
        return inDns;
    }

    void inDns(boolean listed) {
        this.inDns = listed;
    }

    WorkerConnection link() {
        return link;
    }

    void link(WorkerConnection newLink) {
        this.link = newLink;
        if (newLink != null) {
            linkDownSince = null;
            drainedAway = false;
        } else if (linkDownSince == null) {
            linkDownSince = Instant.now();
        }
    }

    /**
     * The link came up at {@code nanos} through a dial that waited by {@code dialBackoff}: a link lost soon after goes
     * on with that backoff, as a dial that failed (registry loop only).
     */
    void linkUp(WorkerConnection newLink, Backoff dialBackoff, long nanos) {
        link(newLink);
        linkDialBackoff = dialBackoff;
        linkUpNanos = nanos;
    }

    Backoff linkDialBackoff() {
        return linkDialBackoff;
    }

    long linkUpNanos() {
        return linkUpNanos;
    }

    /** Since when the worker has had no link (from its entry's creation until the first), or null while it has one. */
    Instant linkDownSince() {
        return linkDownSince;
    }

    boolean linkPending() {
        return linkPending;
    }

    void linkPending(boolean pending) {
        this.linkPending = pending;
    }

    /** Whether one of the worker's registration streams is open (it registers again on a new one before the old one ends). */
    boolean registrationOpen() {
        return openRegistrations > 0;
    }

    void registrationOpened() {
        openRegistrations++;
        registeredProcessGone = false;
    }

    void registrationClosed() {
        openRegistrations = Math.max(0, openRegistrations - 1);
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
        return drainedAway;
    }

    /** It drained and its link closed: it is gone, and another process may come at its address. */
    void wentAwayAfterDraining(String reason) {
        state(WorkerState.UNHEALTHY, "drained, then its connection closed: " + reason);
        polls.resetSuccesses();
        drainedAway = true;
        registeredProcessGone = source == WorkerSource.REGISTRATION; // only a registered process sends DRAIN
    }

    /**
     * Whether the process that registered this entry drained and went away, and none registered since: a DRAIN on its
     * registration stream is about that process, even once a new one at the address is linked (registry loop only).
     */
    boolean registeredProcessGone() {
        return registeredProcessGone;
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
