package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.PollResult;
import io.connectionswap.director.registry.StreamLimitReachedException;
import io.connectionswap.director.registry.WorkerConnection;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;

/**
 * What the tests of the real {@link Relay} and {@link WorkerRegistry} share: the relay on an embedded loop, embedded
 * streams for the client and the workers (each stream the director opens to a worker kept by worker label, in order),
 * a clock the test moves ({@link #now}) and the director's meters. Every stream is released after each test.
 */
abstract class RelayFixture {

    private static final FrameLimits LIMITS = new FrameLimits(4096, 65536);
    private static final DirectorProperties PROPERTIES = TestDirectorProperties.defaults();
    private static final HealthProperties HEALTH = new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4);

    final EmbeddedChannel loop = new EmbeddedChannel();
    private final DefaultEventLoopGroup quicLoops = new DefaultEventLoopGroup(1);
    final SimpleMeterRegistry meterRegistry = new SimpleMeterRegistry();
    private final DirectorMeters meters = new DirectorMeters(meterRegistry, quicLoops);
    /** A client connection with attributes, as the director's per-connection memory needs. */
    private final QuicChannel clientConnection = PeerConnections.connection("client");
    private final QuicChannel workerLink = mock(QuicChannel.class);
    /** Streams the director opened to each worker, by worker label, in order. */
    final Map<String, List<EmbeddedQuicStream>> workerStreams = new LinkedHashMap<>();
    final List<EmbeddedQuicStream> clientStreams = new ArrayList<>();
    /** Labels of workers whose link cannot open a stream (a connection closing before the registry heard of it). */
    final java.util.Set<String> brokenLinks = new java.util.HashSet<>();
    /** Labels of workers whose link has no stream credit left (the worker's QUIC stream limit reached). */
    final java.util.Set<String> fullLinks = new java.util.HashSet<>();
    /** While set, a stream opened to a worker stays opening (its pipeline set up) until the test completes it. */
    boolean holdOpenings;
    /** Completes each stream held opening ({@link #holdOpenings}), in order. */
    final List<Runnable> heldOpenings = new ArrayList<>();
    final WorkerRegistry registry = new WorkerRegistry(loop.eventLoop(), Runnable::run, this::connect,
            PROPERTIES, HEALTH, meters);
    long now = TimeUnit.SECONDS.toNanos(1000);
    final Relay relay = new Relay(registry, PROPERTIES, LimitProperties.DEFAULTS, LIMITS, meters, () -> now);

    RelayFixture() {
        when(workerLink.isActive()).thenReturn(true);
    }

    @AfterEach
    void release() {
        workerStreams.values().forEach(streams -> streams.forEach(EmbeddedChannel::finishAndReleaseAll));
        clientStreams.forEach(EmbeddedChannel::finishAndReleaseAll);
        loop.finishAndReleaseAll();
        quicLoops.shutdownGracefully();
    }

    /** A second relay on the same registry, meters and clock, with {@code limits} instead of the defaults. */
    Relay relayWith(LimitProperties limits) {
        return new Relay(registry, PROPERTIES, limits, LIMITS, meters, () -> now);
    }

    /** The WARN lines of {@code message}, each with its {@code repeats} when it has one. */
    static List<String> warnings(CapturedLogs logs, String message) {
        return logs.events().stream().filter(event -> event.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).filter(line -> line.endsWith(message))
                .map(line -> line.contains("repeats=") ? message + " (repeats="
                        + line.replaceAll(".*repeats=(\\d+).*", "$1") + ")" : message)
                .toList();
    }

    double generations(String finishReason) {
        return meterRegistry.get("connection.swap.generations").tag("finish_reason", finishReason).counter().count();
    }

    WorkerEndpoint healthyWorker(String label) {
        int port = 62001 + registry.workers().size();
        WorkerEndpoint worker = registry.register(new WorkerRegistration(label, "127.0.0.1:" + port,
                "http://127.0.0.1:8081/actuator/health", 50, "i-" + label, List.of("stand-in")));
        loop.runPendingTasks();
        registry.pollCompleted(worker, PollResult.answered("UP", 200));
        loop.runPendingTasks();
        return worker;
    }

    EmbeddedQuicStream clientStream() {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(clientConnection, 4L * (clientStreams.size() + 1),
                UnpooledByteBufAllocator.DEFAULT);
        clientStreams.add(stream);
        return stream;
    }

    EmbeddedQuicStream workerStream(String label, int index) {
        loop.runPendingTasks();
        List<EmbeddedQuicStream> streams = workerStreams.get(label);
        assertThat(streams).as("streams opened to %s", label).isNotNull().hasSizeGreaterThan(index);
        return streams.get(index);
    }

    void fromWorker(EmbeddedQuicStream worker, Message message) {
        worker.writeInbound(MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, message));
        loop.runPendingTasks();
    }

    private Future<WorkerConnection> connect(WorkerEndpoint worker, InetSocketAddress remote, Consumer<String> onLost) {
        // as a real link: token streams when the worker had registered the feature when it was dialled
        boolean tokenStream = worker.supports(WorkerRegistration.TOKEN_STREAM);
        return loop.eventLoop().newSucceededFuture(new WorkerConnection() {
            @Override
            public boolean isUp() {
                return true;
            }

            @Override
            public boolean tokenStream() {
                return tokenStream;
            }

            @Override
            public Future<QuicStreamChannel> openStream(ChannelHandler initializer) {
                if (brokenLinks.contains(worker.label())) {
                    return loop.eventLoop().newFailedFuture(new java.nio.channels.ClosedChannelException());
                }
                if (fullLinks.contains(worker.label())) { // as WorkerLink: fails at once, trying no open
                    return loop.eventLoop().newFailedFuture(new StreamLimitReachedException(1, streamsHeld()));
                }
                List<EmbeddedQuicStream> streams = workerStreams.computeIfAbsent(worker.label(),
                        label -> new ArrayList<>());
                EmbeddedQuicStream stream = new EmbeddedQuicStream(workerLink, 4L * (streams.size() + 1),
                        UnpooledByteBufAllocator.DEFAULT);
                stream.pipeline().addLast(initializer);
                streams.add(stream);
                if (holdOpenings) {
                    Promise<QuicStreamChannel> opening = stream.eventLoop().newPromise();
                    heldOpenings.add(() -> opening.setSuccess(stream));
                    return opening;
                }
                return stream.eventLoop().newSucceededFuture(stream);
            }

            @Override
            public long streamCredit() {
                return fullLinks.contains(worker.label()) ? 0 : Long.MAX_VALUE;
            }

            @Override
            public void close(String reason) {
            }

            @Override
            public int streamsHeld() {
                return workerStreams.getOrDefault(worker.label(), List.of()).size();
            }
        });
    }
}
