package io.connectionswap.worker.registration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.connectionswap.protocol.dns.NameServers;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.Drain;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.RegistrationAck;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicCodecs;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEndpointException;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.protocol.quic.testing.SocketClosesWhileReading;
import io.connectionswap.protocol.tls.ClientCertificates;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.dns.FakeDnsServer;
import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.worker.config.WorkerProperties;
import io.connectionswap.worker.model.StandInBackend;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;

/**
 * The worker's registrations against a stand-in director over real QUIC on loopback with the development PKI (mutual
 * TLS): the stand-in echoes heartbeats, acknowledges every REGISTER with a new director id and records what the
 * worker sends on its registration streams.
 */
class DirectorRegistrationTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private final EventLoopGroup workerLoop = QuicEventLoops.create("test-worker", 1);
    private final EventLoopGroup directorLoop = QuicEventLoops.create("test-director", 1);
    /** What the stand-in director read on registration streams, in order, over all its instances. */
    private final List<Message> received = new CopyOnWriteArrayList<>();
    /** What each instance of the stand-in director (1, 2, ...) read on registration streams, in order. */
    private final Map<Integer, List<Message>> receivedByInstance = new ConcurrentHashMap<>();
    private final AtomicInteger instances = new AtomicInteger();
    /** The connections the stand-in director accepted, over all its instances. */
    private final List<QuicChannel> directorConnections = new CopyOnWriteArrayList<>();
    private TlsContexts directorTls;
    private TlsContexts workerTls;
    private volatile QuicServerEndpoint director;
    private DirectorRegistration registration;

    @BeforeEach
    void pki(@TempDir Path pki) {
        DevelopmentPki.create(pki);
        directorTls = TlsContexts.server("director", TlsIdentity.of(pki, "director").material(),
                ClientCertificates.anyOfTheCa(true));
        workerTls = TlsContexts.server("worker", TlsIdentity.of(pki, "worker").material(),
                ClientCertificates.only("director"));
    }

    @AfterEach
    void stop() {
        if (registration != null) {
            registration.stop();
        }
        if (director != null) {
            director.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        workerLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        directorLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /**
     * A worker that got SIGTERM tells every director it drains, and keeps looking its directors up and registering
     * with them for the whole drain (up to {@code CONNECTION_SWAP_DRAIN_TIMEOUT}, 20 s). A director that restarts in
     * that window (same address, new instance), or one that comes up or is found through DNS then, got a plain
     * REGISTER and no DRAIN: it took the draining worker as a healthy one and handed it new generations, which the
     * worker refused with SHUTTING_DOWN. The drain must follow every registration made once the worker drains.
     */
    @Test
    void aDirectorThatRestartsWhileTheWorkerDrainsIsToldOfTheDrainWhenTheWorkerRegistersAgain() {
        int port = startDirector(0);
        registration = start("localhost:" + port);
        await("registered with the first instance").atMost(DEADLINE).until(registration::isRegistered);

        registration.drain(); // SIGTERM: the worker drains
        await("the first instance is told").atMost(DEADLINE).until(() -> count(Drain.class) == 1);

        // the director restarts at the same address while the worker is still draining its streams
        director.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        // the closed socket may be released a moment after its close completes: bind again until the port is free
        await("the new instance binds the same port").atMost(DEADLINE)
                .ignoreExceptionsInstanceOf(QuicEndpointException.class).until(() -> startDirector(port) == port);
        // by instance: a registration counted over all instances also counts a heartbeat timeout's extra REGISTER
        // (seen under CPU load), and a worker that has not yet noticed the restart is still registered with the first
        await("the worker registers with the new instance").atMost(DEADLINE)
                .until(() -> readBy(2).stream().anyMatch(WorkerRegistration.class::isInstance));

        await("the new instance is told the worker drains").atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(readBy(2))
                        .filteredOn(message -> message instanceof WorkerRegistration || message instanceof Drain)
                        .as("REGISTERs and DRAINs the new instance read (a DRAIN follows each REGISTER); every "
                                + "instance read: %s", received)
                        .last().isInstanceOf(Drain.class));
    }

    /**
     * A director that shuts down (or restarts) closes the worker's registration connection with a CONNECTION_CLOSE.
     * Netty kept the worker's side open through QUIC's draining period (three probe timeouts) after it read that
     * close, and closed it only once quiche's draining timer ran out: the worker learnt its registration was gone, and
     * registered again, that much later (30-900 ms, more under CPU load). Nothing more comes on a connection the
     * director closed: it closes as the close is read. Seen from the worker's UDP socket, which closes with the
     * connection: while it reads the close's datagram, not at a timer afterwards.
     */
    @Test
    void theRegistrationConnectionClosesAsTheDirectorsCloseIsReadNotAfterQuicsDrainingPeriod() throws Exception {
        int port = startDirector(0);
        SocketClosesWhileReading sockets = new SocketClosesWhileReading();
        DirectorRegistration registrations = unstarted("localhost:" + port, NameServers.system());
        // a heartbeat timeout of DEADLINE, none within the case: at 800 ms one fired on a busy machine before the
        // director's close, and the first close the socket saw was the worker's own (not while reading)
        DirectorSession session = new DirectorSession("worker-a", new InetSocketAddress("127.0.0.1", port),
                "localhost", new QuicConnector(workerLoop, QuicSettings.DEFAULTS, workerTls.clientContext(), false,
                sockets), new QuicConnections(), workerLoop.next(), registrations::registration, () -> false,
                Duration.ofMillis(200), DEADLINE, Duration.ofSeconds(1));
        try {
            session.start();
            await("registered").atMost(DEADLINE).until(session::isRegistered);

            long closedAt = System.nanoTime();
            directorConnections.get(0).close(true, ErrorCode.SHUTTING_DOWN.code(),
                    Unpooled.copiedBuffer("director is shutting down", StandardCharsets.UTF_8));

            await("the worker registers again").atMost(DEADLINE).until(() -> count(WorkerRegistration.class) == 2);
            Duration again = Duration.ofNanos(System.nanoTime() - closedAt);
            await("the worker's socket closed").atMost(DEADLINE).until(() -> !sockets.closes.isEmpty());
            assertThat(sockets.closes.get(0)).as("the worker's registration connection (and its socket) closed while "
                    + "the director's close was read, not at QUIC's draining timer afterwards (registered again %s ms "
                    + "after the close)", again.toMillis()).isTrue();
        } finally {
            session.stop();
        }
    }

    /**
     * {@code CONNECTION_SWAP_DIRECTOR_TARGET} lists two names. When the lookup of one failed, the gone addresses of
     * every name were kept ("never drop directors because of a failed lookup"): a scaled-down replica of the name that
     * still resolved kept its session, redialling a dead address for ever. Now only the directors of the name whose
     * lookup failed are kept.
     */
    @Test
    void aFailedLookupOfOneNameKeepsOnlyThatNamesDirectors() throws Exception {
        int port = Ports.freeUdpPort(); // nobody answers there: the sessions are what is looked at
        try (FakeDnsServer dns = new FakeDnsServer(directorLoop, "directors.test")) {
            dns.answer(1, List.of(ip("127.0.0.1"), ip("127.0.0.2")));
            dns.answer("other.test", 1, List.of(ip("127.0.0.3")));
            registration = start("directors.test:" + port + ",other.test:" + port,
                    NameServers.of(List.of(dns.address())));
            await("a director for each address").atMost(DEADLINE).until(() -> registration.directors().keySet()
                    .equals(Set.of("directors.test/127.0.0.1:" + port, "directors.test/127.0.0.2:" + port,
                            "other.test/127.0.0.3:" + port)));

            dns.forget("other.test"); // its lookups fail from now on
            await("the failed lookup is reported").atMost(DEADLINE).until(() -> String.valueOf(
                    registration.lastProblem()).contains("cannot resolve director other.test"));
            dns.answer(1, List.of(ip("127.0.0.1"))); // then a replica of the other name is scaled down

            await("the scaled-down replica is dropped").atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(registration.directors().keySet())
                            .as("the failing name's director is kept, the gone one of the resolving name dropped")
                            .containsExactlyInAnyOrder("directors.test/127.0.0.1:" + port,
                                    "other.test/127.0.0.3:" + port));
        }
    }

    /**
     * Two names of {@code CONNECTION_SWAP_DIRECTOR_TARGET} listed one address. Its session was filed under one name,
     * the last to list it, and judged by that name alone: when the other name's lookup failed and this one stopped
     * listing the address, the session was dropped, although the failing name's last answer still listed it. Now a
     * session is kept while any name lists its address (a failing name by its last answer), and dropped only when
     * none does.
     */
    @Test
    void aDirectorListedByTwoNamesIsKeptWhileTheNameWhoseLookupFailsStillListedIt() throws Exception {
        int port = Ports.freeUdpPort(); // nobody answers there: the sessions are what is looked at
        try (FakeDnsServer dns = new FakeDnsServer(directorLoop, "directors.test")) {
            startWithTwoNamesListing127001(dns, port);

            dns.forget("directors.test"); // its lookups fail from now on; its last answer listed 127.0.0.1
            await("the failed lookup is reported").atMost(DEADLINE).until(() -> String.valueOf(
                    registration.lastProblem()).contains("cannot resolve director directors.test"));
            dns.answer("other.test", 1, List.of(ip("127.0.0.3"))); // the other name no longer lists it

            await("the other name's new answer is applied").atMost(DEADLINE)
                    .until(() -> addresses().contains("127.0.0.3:" + port));
            assertThat(addresses()).as("the failing name's last answer still lists 127.0.0.1")
                    .containsExactlyInAnyOrder("127.0.0.1:" + port, "127.0.0.3:" + port);

            dns.answer(1, List.of(ip("127.0.0.2"))); // the failing name resolves again, without 127.0.0.1
            await("its new answer is applied").atMost(DEADLINE).until(() -> addresses().contains("127.0.0.2:" + port));
            assertThat(addresses()).as("no name lists 127.0.0.1 any more")
                    .containsExactlyInAnyOrder("127.0.0.2:" + port, "127.0.0.3:" + port);
        }
    }

    /**
     * Two names listed one address, and its session was filed under the last of them. When that name stopped listing
     * it (the other still did) and later failed its lookups, the session was kept by the failure although neither the
     * failing name's last answer nor the other name's new one listed it, redialling a gone director for ever. Now it
     * is dropped once no name lists it.
     */
    @Test
    void aDirectorNoNameListsIsDroppedThoughTheNameItWasFiledUnderFailsItsLookups() throws Exception {
        int port = Ports.freeUdpPort(); // nobody answers there: the sessions are what is looked at
        try (FakeDnsServer dns = new FakeDnsServer(directorLoop, "directors.test")) {
            startWithTwoNamesListing127001(dns, port);

            dns.answer("other.test", 1, List.of(ip("127.0.0.3"))); // only directors.test lists 127.0.0.1 now
            await("the other name's new answer is applied").atMost(DEADLINE)
                    .until(() -> addresses().contains("127.0.0.3:" + port));
            dns.forget("other.test"); // then its lookups fail; its last answer listed 127.0.0.3
            await("the failed lookup is reported").atMost(DEADLINE).until(() -> String.valueOf(
                    registration.lastProblem()).contains("cannot resolve director other.test"));
            dns.answer(1, List.of(ip("127.0.0.2"))); // and directors.test no longer lists 127.0.0.1

            await("the new answer is applied").atMost(DEADLINE).until(() -> addresses().contains("127.0.0.2:" + port));
            assertThat(addresses()).as("no name lists 127.0.0.1; the failing name's last answer keeps 127.0.0.3")
                    .containsExactlyInAnyOrder("127.0.0.2:" + port, "127.0.0.3:" + port);
        }
    }

    /**
     * On a dual-stack cluster a headless Service answers each director replica with an A and an AAAA record, and the
     * worker's resolver asks for both (Netty's default where the machine has a global IPv6 address). Every address
     * was taken for a replica of its own: the worker opened two sessions to each director (two registrations, two
     * heartbeating connections, one of them perhaps to an address the director does not listen on) and listed it
     * twice in its health. Now an answer with IPv4 addresses counts its IPv4 ones only, as the director's discovery
     * does: one session per replica.
     */
    @Test
    void aDualStackAnswerGivesEachDirectorReplicaOneSession() throws Exception {
        int port = Ports.freeUdpPort(); // nobody answers there: the sessions are what is looked at
        try (FakeDnsServer dns = new FakeDnsServer(directorLoop, "directors.test")) {
            dns.answer(1, List.of(ip("127.0.0.1"), ip("::1"))); // one replica, its A and its AAAA record
            registration = start("directors.test:" + port, NameServers.of(List.of(dns.address())));
            await("the name resolves").atMost(DEADLINE).until(() -> !registration.directors().isEmpty());
            assumeTrue(dns.aaaaQueries() > 0, "the resolver asks AAAA only where the machine has a global IPv6 "
                    + "address");

            // one replica answered with an IPv4 and an IPv6 address: one session, never a second one
            Set<String> oneSession = Set.of("directors.test/127.0.0.1:" + port);
            await("one session for the replica").atMost(DEADLINE)
                    .until(() -> registration.directors().keySet().equals(oneSession));
            Holds.throughout(Duration.ofMillis(600), () -> "sessions: " + registration.directors().keySet(),
                    () -> registration.directors().keySet().equals(oneSession));
        }
    }

    /**
     * A director found at an IPv6 address (an IPv6-only Service) was described as
     * {@code directors.test/0:0:0:0:0:0:0:1:port} in the worker's health details and log lines: the port could not
     * be told from the address. Now it is {@code directors.test/[::1]:port}, as {@code HostPort} writes an address
     * everywhere else (brackets, the short form).
     */
    @Test
    void aDirectorAtAnIpv6AddressIsDescribedWithItsAddressInBrackets() throws Exception {
        int port = Ports.freeUdpPort(); // nobody answers there: the sessions are what is looked at
        try (FakeDnsServer dns = new FakeDnsServer(directorLoop, "directors.test")) {
            dns.answer(1, List.of(ip("::1")));
            registration = start("directors.test:" + port, NameServers.of(List.of(dns.address())));
            await("the name resolves or is not asked for AAAA").atMost(DEADLINE)
                    .until(() -> !registration.directors().isEmpty() || registration.lastProblem() != null);
            assumeTrue(dns.aaaaQueries() > 0, "the resolver asks AAAA only where the machine has a global IPv6 "
                    + "address");

            await("the director is listed").atMost(DEADLINE).untilAsserted(() -> assertThat(registration.directors())
                    .containsOnlyKeys("directors.test/[::1]:" + port));
        }
    }

    /** The addresses of the directors the worker knows ({@code host:port}, without the name it found them by). */
    /**
     * Starts the registration with the directors of two names, directors.test and other.test, both listing 127.0.0.1
     * (at {@code port}), once it has its one session for that address.
     */
    private void startWithTwoNamesListing127001(FakeDnsServer dns, int port) throws Exception {
        dns.answer(1, List.of(ip("127.0.0.1")));
        dns.answer("other.test", 1, List.of(ip("127.0.0.1")));
        registration = start("directors.test:" + port + ",other.test:" + port, NameServers.of(List.of(dns.address())));
        await("one director for the address both names list").atMost(DEADLINE)
                .until(() -> addresses().equals(Set.of("127.0.0.1:" + port)));
    }

    private Set<String> addresses() {
        return registration.directors().keySet().stream().map(key -> key.substring(key.indexOf('/') + 1))
                .collect(Collectors.toSet());
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    /** What instance {@code instance} (1 for the first) of the stand-in director has read. */
    private List<Message> readBy(int instance) {
        return receivedByInstance.getOrDefault(instance, List.of());
    }

        private long count(Class<? extends Message> type) {
        return received.stream().filter(type::isInstance).count();
    }

    /** Binds a new instance of the stand-in director on {@code port} (0: a free one); returns its port. */
    private int startDirector(int port) {
        int instance = instances.incrementAndGet();
        director = QuicServerEndpoint.bind("test-director", "test", directorLoop,
                HostPort.parse("test", "127.0.0.1:" + port),
                QuicCodecs.server(QuicSettings.DEFAULTS, directorTls.serverContext(), new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(io.netty.channel.Channel connection) {
                        directorConnections.add((QuicChannel) connection);
                    }
                }, new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel stream) {
                        StreamPipelines.messages(stream, FrameLimits.DEFAULTS, Heartbeats.responder());
                        stream.pipeline().addLast(new SimpleChannelInboundHandler<Message>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Message message) {
                                received.add(message);
                                receivedByInstance.computeIfAbsent(instance, i -> new CopyOnWriteArrayList<>())
                                        .add(message);
                                if (message instanceof WorkerRegistration) {
                                    ctx.writeAndFlush(new RegistrationAck("director-" + instance, 1));
                                }
                            }
                        });
                    }
                }, null));
        return director.localAddress().getPort();
    }

    private DirectorRegistration start(String directorTarget) {
        return start(directorTarget, NameServers.system());
    }

    private DirectorRegistration start(String directorTarget, NameServers nameServers) {
        DirectorRegistration started = unstarted(directorTarget, nameServers);
        started.start();
        return started;
    }

    /** The worker's registration with the directors of {@code directorTarget}, not started. */
    private DirectorRegistration unstarted(String directorTarget, NameServers nameServers) {
        WorkerProperties properties = new WorkerProperties("127.0.0.1:0", null,
                "http://127.0.0.1:8081/actuator/health", "worker-a", Duration.ofSeconds(1), null,
                Duration.ofSeconds(10), directorTarget, true, Duration.ofMillis(200), Duration.ofSeconds(20),
                Duration.ofMillis(500), Duration.ofMillis(200), Duration.ofMillis(800), 1, DataSize.ofMegabytes(4));
        DirectorRegistration started = new DirectorRegistration(properties, workerTls, QuicSettings.DEFAULTS,
                workerLoop, StandInBackend.create(Duration.ofMillis(5), workerLoop), new QuicConnections(),
                nameServers);
        started.serverBound(new HostPort("127.0.0.1", 62001));
        return started;
    }
}
