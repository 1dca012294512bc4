package io.connectionswap.worker.registration;

import io.connectionswap.protocol.dns.HostResolver;
import io.connectionswap.protocol.dns.NameServers;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.worker.config.WorkerProperties;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Keeps this worker registered with every director it can find. {@code CONNECTION_SWAP_DIRECTOR_TARGET} is one or
 * more {@code host:port} (comma-separated); every address a host resolves to is a director replica (a Kubernetes
 * headless Service lists them all; of a dual-stack answer the IPv4 addresses only, {@link DualStack}), and the
 * worker registers with each. Names are resolved again periodically, so new director replicas are found and gone
 * ones dropped.
 */
@Component
public class DirectorRegistration {

    private static final Logger log = LoggerFactory.getLogger(DirectorRegistration.class);

    private final WorkerProperties properties;
    private final EventLoopGroup group;
    private final QuicConnector connector;
    private final ModelBackend model;
    private final QuicConnections connections;
    private final String instanceId = UUID.randomUUID().toString();
    private final Map<InetSocketAddress, DirectorSession> sessions = new ConcurrentHashMap<>();
    private volatile HostPort advertised;
    /** Actuator's port: the management server's when there is one (MANAGEMENT_SERVER_PORT), else the app's. */
    private volatile int httpPort = -1;
    private volatile boolean managementServer;
    private volatile boolean running;
    /** Set by {@link #drain}: directors registered with later are told of the drain too. */
    private volatile boolean draining;
    private volatile String lastProblem;
    private final RepeatedProblems lookupProblems = RepeatedProblems.withDefaults();
    /** Director names are resolved again on this loop, through DNS that does not block it (record TTLs). */
    private final EventLoop lookupLoop;
    private final HostResolver resolver;
    private volatile ScheduledFuture<?> lookups;
    private boolean lookupInFlight; // lookup loop only
    private final ListedDirectors listedDirectors = new ListedDirectors(); // lookup loop only

    @Autowired
    public DirectorRegistration(WorkerProperties properties, TlsContexts workerTls, QuicSettings settings,
                                EventLoopGroup workerEventLoop, ModelBackend model,
                                QuicConnections workerQuicConnections) {
        this(properties, workerTls, settings, workerEventLoop, model, workerQuicConnections, NameServers.system());
    }

    /** {@code nameServers}: where director names are looked up (the system's in the service, a test's own). */
    DirectorRegistration(WorkerProperties properties, TlsContexts workerTls, QuicSettings settings,
                         EventLoopGroup workerEventLoop, ModelBackend model, QuicConnections workerQuicConnections,
                         NameServers nameServers) {
        this.properties = properties;
        this.model = model;
        this.group = workerEventLoop;
        this.connections = workerQuicConnections;
        this.connector = new QuicConnector(workerEventLoop, settings, workerTls.clientContext());
        this.lookupLoop = workerEventLoop.next();
        this.resolver = HostResolver.create(lookupLoop, nameServers, "worker");
    }

    /** The QUIC server is bound; this is the address the director will dial. */
    public void serverBound(HostPort advertisedAddress) {
        this.advertised = advertisedAddress;
    }

    @EventListener
    public void webServerStarted(WebServerInitializedEvent event) {
        if ("management".equals(event.getApplicationContext().getServerNamespace())) {
            managementServer = true;
            httpPort = event.getWebServer().getPort();
        } else if (!managementServer) {
            httpPort = event.getWebServer().getPort();
        }
    }

    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        if (!properties.register()) {
            LogLine.info(log).field("worker", properties.label())
                    .log("registration with directors is off (CONNECTION_SWAP_WORKER_REGISTER=false); directors "
                            + "must discover this worker");
            return;
        }
        running = true;
        long period = properties.directorResolveInterval().toMillis();
        lookups = lookupLoop.scheduleWithFixedDelay(this::resolveDirectors, 0, period, TimeUnit.MILLISECONDS);
    }

    public void stop() {
        running = false;
        ScheduledFuture<?> current = lookups;
        if (current != null) {
            current.cancel(false);
        }
        resolver.close();
        // on the lookup loop, where apply() adds sessions: one that was adding a session as running turned false
        // has added it by then, and it is stopped with the others
        Runnable stopSessions = () -> {
            sessions.values().forEach(DirectorSession::stop);
            sessions.clear();
        };
        if (lookupLoop.inEventLoop()) {
            stopSessions.run();
            return;
        }
        try {
            if (!lookupLoop.submit(stopSessions).awaitUninterruptibly(2, TimeUnit.SECONDS)) {
                stopSessions.run(); // the loop is stuck: stop them from here all the same
            }
        } catch (RejectedExecutionException e) { // the loop is gone: nothing adds sessions any more
            stopSessions.run();
        }
    }

    /**
     * Tells every director this worker is draining; they move its streams away. A director registered with during the
     * drain (one that restarted, or a new address of a director's name) is told right after the registration.
     */
    public void drain() {
        draining = true;
        int told = 0;
        for (DirectorSession session : sessions.values()) {
            if (session.drain()) {
                told++;
            }
        }
        if (told == 0 && !properties.register()) {
            // found through DNS only (CONNECTION_SWAP_WORKER_REGISTER=false): directors learn of the drain from its
            // health (OUT_OF_SERVICE) and from hand-offs it refuses, as expected
            LogLine.info(log).field("worker", properties.label())
                    .log("draining; directors that found this worker through DNS learn of it from its health");
        } else if (told == 0) {
            LogLine.warn(log).field("worker", properties.label())
                    .log("not registered with any director; draining without telling one");
        } else {
            LogLine.info(log).field("worker", properties.label()).field("directors", told)
                    .log("told directors this worker is draining");
        }
    }

    public boolean isRegistered() {
        return sessions.values().stream().anyMatch(DirectorSession::isRegistered);
    }

    public Instant registeredAt() {
        return sessions.values().stream().map(DirectorSession::registeredAt).filter(Objects::nonNull)
                .min(Instant::compareTo).orElse(null);
    }

    public String lastProblem() {
        if (lastProblem != null) {
            return lastProblem;
        }
        return sessions.values().stream().map(DirectorSession::lastProblem).filter(Objects::nonNull)
                .findFirst().orElse(null);
    }

    /** Every director this worker knows and whether it is registered there, for health details. */
    public Map<String, Object> directors() {
        Map<String, Object> directors = new LinkedHashMap<>();
        for (DirectorSession session : sessions.values()) {
            directors.put(session.describe(), session.isRegistered() ? "registered (" + session.directorId() + ")"
                    : "not registered" + (session.lastProblem() == null ? "" : ": " + session.lastProblem()));
        }
        return directors;
    }

    public String instanceId() {
        return instanceId;
    }

    /**
     * The health URL the director polls when none is set: the advertised host (an IPv6 literal in brackets, so the URL
     * has a host; a worker bound to every interface is polled on loopback) and the port Actuator answers on.
     */
    static String defaultHealthUrl(HostPort advertised, int httpPort) {
        String host = advertised.isAnyAddress() ? "127.0.0.1" : advertised.uriHost();
        return "http://" + host + ":" + httpPort + "/actuator/health";
    }

    public WorkerRegistration registration() {
        HostPort address = advertised;
        String healthUrl = properties.advertiseHealthUrl();
        if (healthUrl == null || healthUrl.isBlank()) {
            healthUrl = defaultHealthUrl(address, httpPort);
        }
        Duration pace = model.tokenInterval();
        return new WorkerRegistration(properties.label(), address.toString(), healthUrl,
                pace == null ? 0 : Math.max(1, pace.toMillis()), instanceId, model.models(),
                List.of(WorkerRegistration.TOKEN_STREAM));
    }

    /**
     * Runs on the lookup loop every resolve interval: resolves every director name (without blocking: DNS answers
     * are cached for their TTL, so a new or gone replica is seen at the next round after it), then applies them.
     */
    private void resolveDirectors() {
        if (!running || lookupInFlight) {
            return;
        }
        lookupInFlight = true;
        List<HostPort> targets = properties.directors();
        List<CompletableFuture<List<InetAddress>>> answers = new ArrayList<>();
        for (HostPort target : targets) {
            answers.add(resolver.resolveAll(target.host()));
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).whenComplete((ignored, failure) ->
                lookupLoop.execute(() -> {
                    lookupInFlight = false;
                    if (running) {
                        apply(targets, answers);
                    }
                }));
    }

    private void apply(List<HostPort> targets, List<CompletableFuture<List<InetAddress>>> answers) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            HostPort target = targets.get(i);
            try {
                listedDirectors.answered(target, answers.get(i).join());
            } catch (CompletionException | CancellationException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                problems.add("cannot resolve director " + target + ": " + cause.getMessage());
            }
        }
        // a failed lookup drops no director its name listed before; the other names' gone replicas go as usual
        Map<InetSocketAddress, String> found = listedDirectors.listed(targets);
        String problem = problems.isEmpty() ? null : String.join("; ", problems);
        if (problem != null) {
            RepeatedProblems.Occurrence occurrence = lookupProblems.occurred(problem, Level.WARN);
            occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("worker", properties.label())
                    .quoted("problem", problem)).log("director lookup failed; retrying");
        } else if (lastProblem != null) {
            lookupProblems.forget(); // resolved again: the next failure is news
        }
        lastProblem = problem;
        Set<InetSocketAddress> gone = new LinkedHashSet<>(sessions.keySet());
        gone.removeAll(found.keySet());
        for (InetSocketAddress address : gone) {
            DirectorSession session = sessions.remove(address);
            LogLine.info(log).field("worker", properties.label()).field("director.addr", session.describe())
                    .log("director no longer listed; unregistering");
            session.stop();
        }
        found.forEach((address, tlsName) -> sessions.computeIfAbsent(address, key -> {
            DirectorSession session = new DirectorSession(properties.label(), key, tlsName, connector, connections,
                    group.next(), this::registration, () -> draining, properties.heartbeatInterval(),
                    properties.heartbeatTimeout(), properties.registrationRetryMax());
            session.start();
            return session;
        }));
    }
}
