package io.connectionswap.director.registry;

import io.connectionswap.director.relay.RelaySession;
import io.connectionswap.protocol.quic.HostPort;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * One worker as the director sees it. Mutable state is only touched on the routing event loop; the volatile
 * fields are read by the Actuator health endpoint from other threads.
 */
public final class WorkerEndpoint {

    private volatile String label;
    private final HostPort address;
    private volatile URI healthUrl;
    private volatile Duration tokenInterval;
    private volatile String instanceId;
    private volatile java.util.List<String> models;
    private final String tlsName;
    private volatile WorkerSource source;
    private boolean inDns;
    private final Set<RelaySession> sessions = new LinkedHashSet<>();
    private volatile WorkerState state = WorkerState.PENDING;
    private volatile String stateReason = "registered";
    private volatile Instant stateSince = Instant.now();
    private volatile boolean everHealthy;
    private volatile int consecutiveFailures;
    private volatile int consecutiveSuccesses;
    private volatile Instant lastPollAt;
    private volatile String lastPollResult;
    private volatile boolean pollInFlight;
    private volatile int activeStreams;
    private volatile Instant unreachableSince;
    private long lastFrameNanos = System.nanoTime();
    private long lastEchoNanos = lastFrameNanos;
    private volatile WorkerConnection link;
    private boolean linkPending;
    private boolean registrationOpen;

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
        return consecutiveFailures;
    }

    public int consecutiveSuccesses() {
        return consecutiveSuccesses;
    }

    public Instant lastPollAt() {
        return lastPollAt;
    }

    public String lastPollResult() {
        return lastPollResult;
    }

    public int activeStreams() {
        return activeStreams;
    }

    public boolean linkUp() {
        WorkerConnection current = link;
        return current != null && current.isUp();
    }

    /** Gets new streams: healthy and reachable over QUIC. */
    public boolean eligible() {
        return state == WorkerState.HEALTHY && linkUp();
    }

    /** A frame arrived from this worker on any of its streams (routing loop only). */
    public void heardFrom(long nanos) {
        lastFrameNanos = nanos;
    }

    /** When a frame last arrived from this worker on any stream; its creation time before the first one. */
    public long lastFrameNanos() {
        return lastFrameNanos;
    }

    /** The worker echoed a heartbeat on the director's link to it: its event loop runs (routing loop only). */
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

    public Set<RelaySession> sessions() {
        return sessions;
    }

    public void sessionStarted(RelaySession session) {
        sessions.add(session);
        activeStreams = sessions.size();
    }

    public void sessionEnded(RelaySession session) {
        sessions.remove(session);
        activeStreams = sessions.size();
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
    }

    boolean linkPending() {
        return linkPending;
    }

    void linkPending(boolean pending) {
        this.linkPending = pending;
    }

    boolean registrationOpen() {
        return registrationOpen;
    }

    void registrationOpen(boolean open) {
        this.registrationOpen = open;
    }

    boolean pollInFlight() {
        return pollInFlight;
    }

    void pollInFlight(boolean inFlight) {
        this.pollInFlight = inFlight;
    }

    Instant unreachableSince() {
        return unreachableSince;
    }

    void state(WorkerState newState, String reason) {
        if (newState == WorkerState.HEALTHY) {
            everHealthy = true;
        }
        this.state = newState;
        this.stateReason = reason;
        this.stateSince = Instant.now();
    }

    void pollSucceeded(String result) {
        lastPollAt = Instant.now();
        lastPollResult = result;
        consecutiveFailures = 0;
        consecutiveSuccesses++;
        unreachableSince = null;
    }

    void pollFailed(String result, boolean unreachable) {
        lastPollAt = Instant.now();
        lastPollResult = result;
        consecutiveSuccesses = 0;
        consecutiveFailures++;
        if (unreachable && unreachableSince == null) {
            unreachableSince = lastPollAt;
        } else if (!unreachable) {
            unreachableSince = null;
        }
    }

    void resetSuccesses() {
        consecutiveSuccesses = 0;
    }

    @Override
    public String toString() {
        return label + "@" + address;
    }
}
