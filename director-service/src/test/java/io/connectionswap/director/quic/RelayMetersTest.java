package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.DiscoveryProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.PollResult;
import io.connectionswap.director.registry.WorkerConnection;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
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
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The director's SLO meters through the real {@link Relay} and {@link WorkerRegistry}, with embedded streams for the
 * client and the workers: streams started (new or resumed), time to first token (once per generation, across a swap
 * before the first token) and generations by finish reason (from the END frame).
 */
class RelayMetersTest {

    private static final FrameLimits LIMITS = new FrameLimits(4096, 65536);
    private static final DirectorProperties PROPERTIES = TestDirectorProperties.defaults();
    private static final HealthProperties HEALTH = new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4);

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final DefaultEventLoopGroup quicLoops = new DefaultEventLoopGroup(1);
    private final SimpleMeterRegistry meterRegistry = new SimpleMeterRegistry();
    private final DirectorMeters meters = new DirectorMeters(meterRegistry, quicLoops);
    /** A client connection with attributes, as the director's per-connection memory needs. */
    private final QuicChannel clientConnection = PeerConnections.connection("client");
    private final QuicChannel workerLink = mock(QuicChannel.class);
    /** Streams the director opened to each worker, by worker label, in order. */
    private final Map<String, List<EmbeddedQuicStream>> workerStreams = new LinkedHashMap<>();
    private final List<EmbeddedQuicStream> clientStreams = new ArrayList<>();
    /** Labels of workers whose link cannot open a stream (a connection closing before the registry heard of it). */
    private final java.util.Set<String> brokenLinks = new java.util.HashSet<>();
    /** While set, a stream opened to a worker stays opening (its pipeline set up) until the test completes it. */
    private boolean holdOpenings;
    /** Completes each stream held opening ({@link #holdOpenings}), in order. */
    private final List<Runnable> heldOpenings = new ArrayList<>();
    private final WorkerRegistry registry = new WorkerRegistry(loop.eventLoop(), Runnable::run, this::connect,
            PROPERTIES, HEALTH, meters);
    private long now = TimeUnit.SECONDS.toNanos(1000);
    private final Relay relay = new Relay(registry, PROPERTIES, LimitProperties.DEFAULTS, LIMITS, meters, () -> now);

    RelayMetersTest() {
        when(workerLink.isActive()).thenReturn(true);
    }

    @AfterEach
    void release() {
        workerStreams.values().forEach(streams -> streams.forEach(EmbeddedChannel::finishAndReleaseAll));
        clientStreams.forEach(EmbeddedChannel::finishAndReleaseAll);
        loop.finishAndReleaseAll();
        quicLoops.shutdownGracefully();
    }

    @Test
    void aGenerationCountsOneNewStreamOneFirstTokenAndItsFinishReason() {
        healthyWorker("worker-a");
        relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-1", "p", 3));
        EmbeddedQuicStream worker = workerStream("worker-a", 0);
        fromWorker(worker, new Connected("worker-a", "conn-1", 1, "g-1", 0, "stand-in"));
        now += TimeUnit.MILLISECONDS.toNanos(120);
        fromWorker(worker, new Token(1, "a"));
        now += TimeUnit.MILLISECONDS.toNanos(50);
        fromWorker(worker, new Token(2, " b"));
        fromWorker(worker, new Token(3, " c"));
        fromWorker(worker, new End("g-1", 3, FinishReason.LENGTH, null));

        assertThat(streamsStarted("new")).isEqualTo(1);
        assertThat(streamsStarted("resumed")).isZero();
        assertThat(firstTokens()).containsExactly(1.0, 120.0);
        assertThat(meterRegistry.get("connection.swap.tokens.relayed").counter().count()).isEqualTo(3);
        assertThat(generations("length")).isEqualTo(1);
        assertThat(generations("stop") + generations("error")).isZero();
    }

    @Test
    void aSwapBeforeTheFirstTokenKeepsTheClockRunningAndTheResumeIsAResumedStream() {
        Map<String, WorkerEndpoint> workers = Map.of("worker-a", healthyWorker("worker-a"),
                "worker-b", healthyWorker("worker-b"));
        GenerationRequest request = GenerationRequest.completion("g-1", "p", 2);
        relay.open(clientStream(), "conn-1", request);
        loop.runPendingTasks();
        String first = workerStreams.keySet().iterator().next();
        String second = first.equals("worker-a") ? "worker-b" : "worker-a";

        // the first worker fails before any token: the client gets RETRY and resumes after 0
        now += TimeUnit.MILLISECONDS.toNanos(300);
        registry.pollCompleted(workers.get(first), PollResult.answered("DOWN", 503));
        loop.runPendingTasks();
        assertThat(firstTokens()).containsExactly(0.0, 0.0);
        assertThat(meterRegistry.get("connection.swap.swaps").tag("worker", first).counter().count()).isEqualTo(1);

        now += TimeUnit.MILLISECONDS.toNanos(20);
        relay.open(clientStream(), "conn-1", request.resumedAfter(0, "", first));
        EmbeddedQuicStream next = workerStream(second, 0);
        now += TimeUnit.MILLISECONDS.toNanos(80);
        fromWorker(next, new Token(1, "a"));
        now += TimeUnit.MILLISECONDS.toNanos(50);
        fromWorker(next, new Token(2, " b"));
        fromWorker(next, new End("g-1", 2, FinishReason.STOP, null));

        assertThat(streamsStarted("new")).isEqualTo(1);
        assertThat(streamsStarted("resumed")).isEqualTo(1);
        assertThat(firstTokens()).as("one first token per generation, from its first GENERATE")
                .containsExactly(1.0, 400.0);
        assertThat(meterRegistry.get("connection.swap.gap").timer().totalTime(TimeUnit.MILLISECONDS))
                .as("swap gap: failure detected to the next worker's first token").isEqualTo(100.0);
        assertThat(generations("stop")).isEqualTo(1);
        assertThat(generations("length") + generations("error")).isZero();
    }

    @Test
    void aResumeAfterTokensIsNoFirstToken() {
        healthyWorker("worker-a");
        GenerationRequest resumed = GenerationRequest.completion("g-1", "p", 5).resumedAfter(2, "ab", "worker-b");
        relay.open(clientStream(), "conn-1", resumed);
        EmbeddedQuicStream worker = workerStream("worker-a", 0);
        fromWorker(worker, new Token(3, "c"));

        assertThat(streamsStarted("resumed")).isEqualTo(1);
        assertThat(streamsStarted("new")).isZero();
        assertThat(firstTokens()).containsExactly(0.0, 0.0);
    }

    /**
     * A generation on its own client stream whose client's window filled just as its END was relayed: the session
     * had ended, so the slow-client watch no longer saw it, and the END and our FIN queued after it waited with no
     * bound, the stream and what was queued on it held for as long as the connection lived. The last write was held
     * to the slow-client rule of the tokens now: not reset within the linger, reset TOO_SLOW once the client had
     * read nothing of it for CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT. Found by the review helper.
     */
    @Test
    void aClientThatStopsReadingAsItsEndIsRelayedIsResetTooSlowAfterTheSlowClientTimeout() {
        healthyWorker("worker-a");
        EmbeddedQuicStream client = clientStream();
        client.freezeTime();
        client.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                // the relayed frames' writes, failed by the reset: ClientStreamHandler's, not this test's
            }
        });
        relay.open(client, "conn-1", GenerationRequest.completion("g-1", "p", 2));
        EmbeddedQuicStream worker = workerStream("worker-a", 0);
        fromWorker(worker, new Token(1, "a"));
        client.withholdCredit(); // the client's window is full from here on
        fromWorker(worker, new Token(2, " b"));
        fromWorker(worker, new End("g-1", 2, FinishReason.STOP, null));

        passOnClient(client, QuicStreams.DEFAULT_LINGER.plusSeconds(5));
        assertThat(client.resetCode()).as("a client as slow as allowed is not reset yet").isEqualTo(-1);
        passOnClient(client, LimitProperties.DEFAULTS.slowClientTimeout());

        assertThat(client.resetCode()).as("reset, with").isEqualTo(ErrorCode.TOO_SLOW.code());
        assertThat(client.isActive()).isFalse();
    }

    private static void passOnClient(EmbeddedQuicStream client, Duration time) {
        client.advanceTimeBy(time.toNanos(), TimeUnit.NANOSECONDS);
        client.runScheduledPendingTasks();
        client.runPendingTasks();
    }

    @Test
    void everyFinishReasonAndStreamKindIsThereFromTheStart() {
        for (String finish : List.of("length", "stop", "error")) {
            assertThat(generations(finish)).as(finish).isZero();
        }
        assertThat(streamsStarted("new")).isZero();
        assertThat(streamsStarted("resumed")).isZero();
    }

    /**
     * A worker that drains (here: it refuses the hand-off with SHUTTING_DOWN) before the generation's first token:
     * the client library resumes with resumeAfter 0 and migrations unchanged (a drain is no migration since 92fc0dd),
     * avoiding that worker. That second stream continues the generation: it is a {@code resumed} stream, and the
     * time to first token runs on from the first GENERATE (README, metrics table).
     */
    @Test
    void aWorkerDrainBeforeTheFirstTokenIsAResumeNotASecondNewGeneration() {
        Map<String, WorkerEndpoint> workers = Map.of("worker-a", healthyWorker("worker-a"),
                "worker-b", healthyWorker("worker-b"));
        GenerationRequest request = GenerationRequest.completion("g-1", "p", 2);
        relay.open(clientStream(), "conn-1", request);
        loop.runPendingTasks();
        String first = workerStreams.keySet().iterator().next();
        String second = first.equals("worker-a") ? "worker-b" : "worker-a";

        now += TimeUnit.MILLISECONDS.toNanos(300);
        fromWorker(workerStream(first, 0), new StreamError(ErrorCode.SHUTTING_DOWN, "draining"));
        assertThat(meterRegistry.get("connection.swap.swaps").tag("reason", "drain").tag("worker", first).counter()
                .count()).isEqualTo(1);

        // what GenerationRun.resumeRequest sends after a RETRY with reason drain: no migration, avoid the worker
        GenerationRequest resume = new GenerationRequest("g-1", null, "p", null, request.sampling(), 0, null, first,
                0, null, false);
        now += TimeUnit.MILLISECONDS.toNanos(20);
        relay.open(clientStream(), "conn-1", resume);
        EmbeddedQuicStream next = workerStream(second, 0);
        now += TimeUnit.MILLISECONDS.toNanos(80);
        fromWorker(next, new Token(1, "a"));
        fromWorker(next, new Token(2, " b"));
        fromWorker(next, new End("g-1", 2, FinishReason.STOP, null));

        assertThat(List.of(streamsStarted("new"), streamsStarted("resumed")))
                .as("streams started {new, resumed}: one generation, moved once by a drain")
                .containsExactly(1.0, 1.0);
        assertThat(firstTokens()).as("one first token per generation, from its first GENERATE")
                .containsExactly(1.0, 400.0);
    }

    /**
     * Two failures in a row: the first worker fails, and the worker the resume went to fails too during its hand-off
     * (no token yet). The client's tokens stop at the first failure and start again at the third worker's first
     * token: that whole pause is the one the swaps caused (README: the swap gap is "from detecting the failure to the
     * first token from the next worker: the pause a swap causes"). The relay restarted the gap's clock at the second
     * failure, so the histogram (and SwapGapP99High) saw only the last part of the pause in a cascade of failures,
     * exactly when the pauses are longest.
     */
    @Test
    void twoFailuresInARowRecordTheWholePauseFromTheFirstFailure() {
        Map<String, WorkerEndpoint> workers = Map.of("worker-a", healthyWorker("worker-a"),
                "worker-b", healthyWorker("worker-b"), "worker-c", healthyWorker("worker-c"));
        GenerationRequest request = GenerationRequest.completion("g-1", "p", 5);
        relay.open(clientStream(), "conn-1", request);
        loop.runPendingTasks();
        String first = workerStreams.keySet().iterator().next();
        fromWorker(workerStream(first, 0), new Token(1, "a"));

        // the first worker fails: its stream moves (detected at t0)
        registry.pollCompleted(workers.get(first), PollResult.answered("DOWN", 503));
        loop.runPendingTasks();
        now += TimeUnit.MILLISECONDS.toNanos(20);
        relay.open(clientStream(), "conn-1", request.resumedAfter(1, "a", first));
        loop.runPendingTasks();
        String second = workerStreams.keySet().stream().filter(label -> !label.equals(first)).findFirst().orElseThrow();

        // the resume target fails during its hand-off, before any frame (t0 + 50 ms)
        now += TimeUnit.MILLISECONDS.toNanos(30);
        registry.pollCompleted(workers.get(second), PollResult.answered("DOWN", 503));
        loop.runPendingTasks();
        now += TimeUnit.MILLISECONDS.toNanos(20);
        relay.open(clientStream(), "conn-1", request.resumedAfter(1, "a", second));
        loop.runPendingTasks();
        String third = workerStreams.keySet().stream().filter(label -> !label.equals(first) && !label.equals(second))
                .findFirst().orElseThrow();

        // the third worker's first token: 150 ms after the first failure was detected
        now += TimeUnit.MILLISECONDS.toNanos(80);
        fromWorker(workerStream(third, 0), new Token(2, " b"));

        assertThat(meterRegistry.get("connection.swap.swaps").counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum()).isEqualTo(2);
        io.micrometer.core.instrument.Timer gap = meterRegistry.get("connection.swap.gap").timer();
        assertThat(gap.max(TimeUnit.MILLISECONDS))
                .as("the client's tokens paused 150 ms, from the first failure to the third worker's first token")
                .isEqualTo(150.0);
    }

    /**
     * A director that just restarted, in a fleet with two models: the worker serving "other" has registered again, the
     * one serving "stand-in" not yet (workers come back in any order, within their registration backoff). A client
     * resumes its stand-in generation here after the restart (rule 6: avoidWorker absent) with two tokens delivered.
     * Relay.open answered with a final MODEL_NOT_FOUND because the registry was not empty and no known worker served
     * the model, so the generation was lost mid-stream; with no worker registered at all it got NO_HEALTHY_WORKER and
     * waited (the chaos soak's 172 lost generations, mended only for an empty registry). It must wait here too: the
     * model was served a moment ago, its worker is simply not back yet.
     */
    @Test
    void aResumeWhileTheModelsWorkerIsNotBackYetWaitsInsteadOfFailingWithModelNotFound() {
        WorkerEndpoint other = registry.register(new WorkerRegistration("worker-x", "127.0.0.1:62009",
                "http://127.0.0.1:8081/actuator/health", 50, "i-x", List.of("other")));
        loop.runPendingTasks();
        registry.pollCompleted(other, PollResult.answered("UP", 200));
        loop.runPendingTasks();
        EmbeddedQuicStream client = clientStream();

        relay.open(client, "conn-1", new GenerationRequest("g-1", "stand-in", "p", null,
                GenerationRequest.completion("g-1", "p", 5).sampling(), 2, "ab", null, 1, null, false));
        loop.runPendingTasks();

        List<ErrorCode> codes = new ArrayList<>();
        Object written;
        while ((written = client.readOutbound()) != null) {
            if (written instanceof StreamError error) {
                codes.add(error.code());
            }
            io.netty.util.ReferenceCountUtil.release(written);
        }
        assertThat(codes).as("the client waits and resumes once the stand-in worker is back")
                .containsExactly(ErrorCode.NO_HEALTHY_WORKER);
        assertThat(meterRegistry.get("connection.swap.no.healthy.worker").counter().count()).isEqualTo(1);
    }

    /**
     * A worker still in rotation whose link cannot open the stream (its connection is closing and the registry has
     * not heard of the loss yet): the worker never received the generation, so nothing about the generation failed.
     * Relay.open turned it into a swap all the same (stream_error, held against the worker), so the client paid a
     * migration, and a generation that had already moved as often as allowed ended with a final MIGRATION_LIMIT error,
     * although another healthy worker (worker-b) could take it. The client is now told to ask again
     * (NO_HEALTHY_WORKER, no migration).
     */
    @Test
    void aStreamThatCouldNotEvenBeOpenedOnItsWorkerIsNoMigrationOfTheGeneration() {
        healthyWorker("worker-a");
        healthyWorker("worker-b");
        brokenLinks.add("worker-a");
        GenerationRequest request = GenerationRequest.completion("g-1", "p", 5);
        // moved 3 times already (the default limit): a 4th worker is still allowed to serve it
        GenerationRequest resumed = new GenerationRequest("g-1", null, "p", null, request.sampling(), 2, "ab",
                "worker-c", 3, null, false);
        for (int i = 0; i < 2; i++) { // the selector round-robins between equals: one of these lands on worker-a
            relay.open(clientStream(), "conn-1", resumed);
            loop.runPendingTasks();
        }

        assertThat(meterRegistry.find("connection.swap.migration.limit").counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum())
                .as("generations ended with MIGRATION_LIMIT though their worker never got the stream").isZero();
        assertThat(meterRegistry.find("connection.swap.swaps").tag("reason", "stream_error").tag("worker", "worker-a")
                .counters().stream().mapToDouble(io.micrometer.core.instrument.Counter::count).sum())
                .as("swaps held against worker-a for a stream it never received").isZero();
        assertThat(generations("error")).isZero();
    }

    /**
     * The client of a stream that could not be opened on its worker is told NO_HEALTHY_WORKER and asks again, as when no
     * worker is healthy; {@code connection_swap_no_healthy_worker_total} (README: streams refused because no worker
     * was healthy) did not count it, so a dashboard showed clients backing off with the counter flat.
     */
    @Test
    void aStreamThatCouldNotBeOpenedCountsAsRefusedForWantOfAHealthyWorker() {
        healthyWorker("worker-a");
        brokenLinks.add("worker-a");

        relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-1", "p", 5));
        loop.runPendingTasks();

        assertThat(meterRegistry.get("connection.swap.no.healthy.worker").counter().count()).isEqualTo(1);
    }

    /**
     * A client that never read its client token stream: Relay.open put each new generation on it all the same, so a
     * client opening generation after generation had their frames queued there without bound (each generation was
     * reset TOO_SLOW after 30 s; the stream and what was queued on it stayed). A generation opened while the client
     * token stream cannot take more now has its frames on its own stream (a client takes them from either), where
     * not reading holds the worker back and the TOO_SLOW reset frees what waits.
     */
    @Test
    void aGenerationOpenedWhileTheClientTokenStreamIsFullGoesOnItsOwnStream() {
        healthyWorker("worker-a");
        EmbeddedQuicStream tokens = clientStream();
        tokens.unsafe().outboundBuffer().setUserDefinedWritability(1, false); // the client reads nothing of it
        EmbeddedQuicStream generation = clientStream();

        relay.open(generation, "conn-1", GenerationRequest.completion("g-1", "p", 3).withTokenStream(true), tokens);
        fromWorker(workerStream("worker-a", 0), new Connected("worker-a", "conn-1", 1, "g-1", 0, "stand-in"));
        tokens.flush();
        generation.flush();

        assertThat(tokens.outboundMessages()).as("frames queued on the full client token stream").isEmpty();
        assertThat(generation.outboundMessages()).as("CONNECTED on the generation's own stream").hasSize(1);
        assertThat(meterRegistry.get("connection.swap.client.token.stream.streams").counter().count()).isZero();
    }

    /**
     * A client (or a gateway user behind it) that sent request after request the director refuses as the request's
     * fault (maxTokens above the limit, a model no worker serves) got a WARN line per request: as many as it could
     * send. Now the first of a connection's refusals of a kind is a WARN and its repeats DEBUG, with a WARN reminder
     * counting them; every request is still refused with its error, and another connection's first is a WARN.
     */
    @Test
    void aConnectionRepeatingARefusedRequestGetsOneWarnPerKindNotOnePerStream() {
        healthyWorker("worker-a");
        QuicChannel hostile = PeerConnections.connection("client");
        List<ErrorCode> codes = new ArrayList<>();
        try (CapturedLogs logs = CapturedLogs.of(Relay.class)) {
            for (int i = 0; i < 10; i++) {
                codes.addAll(refused(hostile, 4L * i, GenerationRequest.completion("g-" + i, "p", 1_000_000)));
                codes.addAll(refused(hostile, 4L * i + 1, new GenerationRequest("m-" + i, "no-such-model", "p", null,
                        GenerationRequest.completion("m-" + i, "p", 5).sampling(), 0, null, null, 0, null, false)));
            }
            codes.addAll(refused(PeerConnections.connection("client"), 4,
                    GenerationRequest.completion("g-other", "p", 1_000_000)));

            assertThat(logs.events().stream().filter(event -> event.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).toList())
                    .as("WARN lines for 20 refused requests of one connection and 1 of another")
                    .hasSize(3);
        }
        assertThat(codes).filteredOn(code -> code == ErrorCode.BAD_REQUEST).hasSize(11);
        assertThat(codes).filteredOn(code -> code == ErrorCode.MODEL_NOT_FOUND).hasSize(10);
    }

    /**
     * The refusals of a connection were throttled by kind only: after one "no worker serves the model" WARN, every
     * refusal for another unknown model on that connection was DEBUG for 5 minutes, and the gateway carries all its
     * users on one connection, so the second user's mistyped model went unseen. Now each model name is a WARN of its
     * own on a connection (its repeats DEBUG), for the first 16 names; a client sending a new name each time then gets
     * one WARN more for all the others, neither a line nor memory per name.
     */
    @Test
    void eachUnknownModelOfAConnectionGetsItsOwnWarnUpToABound() {
        healthyWorker("worker-a");
        QuicChannel gateway = PeerConnections.connection("client");
        List<ErrorCode> codes = new ArrayList<>();
        List<String> warned;
        try (CapturedLogs logs = CapturedLogs.of(Relay.class)) {
            for (int round = 0; round < 2; round++) {
                for (int model = 0; model < 16; model++) {
                    codes.addAll(refused(gateway, 8L * model + round, unknownModel("model-" + model)));
                }
            }
            for (int random = 0; random < 100; random++) {
                codes.addAll(refused(gateway, 1000L + 4 * random, unknownModel("random-" + random)));
            }
            warned = logs.events().stream().filter(event -> event.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).filter(line -> line.endsWith("no worker serves the model"))
                    .map(line -> line.replaceAll(".*model=(\\S+).*", "$1")).toList();
        }
        List<String> expected = new ArrayList<>();
        for (int model = 0; model < 16; model++) {
            expected.add("model-" + model);
        }
        expected.add("random-0"); // the first past the bound: one WARN for every other name
        assertThat(warned).as("models named in WARN lines").containsExactlyElementsOf(expected);
        assertThat(codes).hasSize(132).containsOnly(ErrorCode.MODEL_NOT_FOUND);
    }

    private static GenerationRequest unknownModel(String model) {
        return new GenerationRequest("g-" + model, model, "p", null,
                GenerationRequest.completion("g", "p", 5).sampling(), 0, null, null, 0, null, false);
    }

    /**
     * While no worker was healthy every client backed off and asked again, and each refusal was a WARN line "no healthy
     * worker for stream": thousands a minute in an outage of a busy director. Now the first refusal of an outage is a
     * WARN, the others DEBUG with a WARN reminder every 10 s counting them, and the outage ends at the next stream
     * assigned (the first refusal after it is a WARN again); every refusal is still counted and answered.
     */
    @Test
    void anOutageLogsItsFirstRefusalAtWarnThenAReminderNotALinePerStream() {
        List<ErrorCode> codes = new ArrayList<>();
        try (CapturedLogs logs = CapturedLogs.of(Relay.class)) {
            for (int i = 0; i < 20; i++) {
                codes.addAll(refused(PeerConnections.connection("client"), 4L * i,
                        GenerationRequest.completion("g-" + i, "p", 5)));
            }
            now += TimeUnit.SECONDS.toNanos(11);
            codes.addAll(refused(PeerConnections.connection("client"), 80, GenerationRequest.completion("g-r", "p", 5)));
            assertThat(warnings(logs, "no healthy worker for stream")).as("the first refusal and one reminder")
                    .containsExactly("no healthy worker for stream", "no healthy worker for stream (repeats=20)");

            WorkerEndpoint worker = healthyWorker("worker-a");
            relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-ok", "p", 5)); // the outage ends
            loop.runPendingTasks();
            registry.pollCompleted(worker, PollResult.answered("DOWN", 503));
            registry.pollCompleted(worker, PollResult.answered("DOWN", 503));
            loop.runPendingTasks();
            codes.addAll(refused(PeerConnections.connection("client"), 84, GenerationRequest.completion("g-2", "p", 5)));
            assertThat(warnings(logs, "no healthy worker for stream")).as("the next outage's first refusal")
                    .hasSize(3);
        }
        assertThat(codes).hasSize(22).containsOnly(ErrorCode.NO_HEALTHY_WORKER);
        assertThat(meterRegistry.get("connection.swap.no.healthy.worker").counter().count()).isEqualTo(22);
    }

    /** The WARN lines of {@code message}, each with its {@code repeats} when it has one. */
    /**
     * The outage throttle of "no healthy worker for stream" ended at the next stream assigned on the loop, whatever
     * its model. In the common partial outage (every worker of one model down, another model served) each refusal that
     * followed an assignment of the other model was a first refusal again, a WARN: as many WARN lines as before the
     * throttle. An outage is now a model's (one a worker registered), or every worker's. Found by the review helper.
     */
    @Test
    void anOutageOfOneModelStaysOneWarnWhileAnotherModelIsServed() {
        healthyWorker("worker-a"); // serves stand-in
        WorkerEndpoint down = registry.register(new WorkerRegistration("worker-b", "127.0.0.1:62009",
                "http://127.0.0.1:8081/actuator/health", 50, "i-b", List.of("other")));
        loop.runPendingTasks(); // never healthy: the model "other" has no healthy worker
        assertThat(down.state().name()).isNotEqualTo("HEALTHY");
        List<ErrorCode> codes = new ArrayList<>();
        try (CapturedLogs logs = CapturedLogs.of(Relay.class)) {
            for (int i = 0; i < 10; i++) {
                codes.addAll(refused(PeerConnections.connection("client"), 8L * i, new GenerationRequest("o-" + i,
                        "other", "p", null, GenerationRequest.completion("o-" + i, "p", 5).sampling(), 0, null, null,
                        0, null, false)));
                relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-" + i, "p", 5)); // stand-in
                loop.runPendingTasks();
            }
            assertThat(codes).hasSize(10).containsOnly(ErrorCode.NO_HEALTHY_WORKER);
            assertThat(warnings(logs, "no healthy worker for stream"))
                    .as("one outage (model other, 10 refusals within a second): its first refusal at WARN")
                    .hasSize(1);
        }
    }

    /**
     * A client that never reads its client token stream (the case 5758794 guards against) opened generation after
     * generation: each was served on its own stream, and each wrote an INFO line "client token stream full; serving
     * the stream on its own", unthrottled, as fast as the peer opened streams; it is now one line per connection and a
     * count (ConnectionProblems), as the other problems a peer repeats. Found by the review helper.
     */
    @Test
    void aClientThatNeverReadsItsTokenStreamGetsOneFullLineNotOnePerGeneration() {
        healthyWorker("worker-a");
        EmbeddedQuicStream tokens = clientStream();
        tokens.unsafe().outboundBuffer().setUserDefinedWritability(1, false); // the client reads nothing of it
        try (CapturedLogs logs = CapturedLogs.of(Relay.class)) {
            for (int i = 0; i < 20; i++) {
                relay.open(clientStream(), "conn-1",
                        GenerationRequest.completion("g-" + i, "p", 3).withTokenStream(true), tokens);
                loop.runPendingTasks();
            }
            assertThat(logs.events().stream().filter(event -> event.getLevel().isGreaterOrEqual(Level.INFO))
                    .map(ILoggingEvent::getFormattedMessage)
                    .filter(line -> line.contains("client token stream full")).toList())
                    .as("INFO lines for 20 generations of one connection whose client token stream is full")
                    .hasSizeLessThanOrEqualTo(1);
        }
    }

    /**
     * A client that stopped reading its client token stream: its generations there ended (here with their END; a
     * TOO_SLOW reset ends them the same way) and what was queued on the stream stayed, with nothing to reset the
     * stream itself, for as long as the connection lived. A client token stream with no generation on it that took
     * nothing for CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT was reset TOO_SLOW now (ClientTokenStreamHandler then closes
     * the connection). Found by the review helper.
     */
    @Test
    void aClientTokenStreamLeftUnreadWithNoGenerationOnItIsResetTooSlowAfterTheSlowClientTimeout() {
        healthyWorker("worker-a");
        EmbeddedQuicStream tokens = clientStream();
        tokens.freezeTime();
        tokens.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                // the tagged frames' writes, failed by the reset: ClientTokenStreamHandler's, not this test's
            }
        });
        relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-1", "p", 2).withTokenStream(true),
                tokens);
        EmbeddedQuicStream worker = workerStream("worker-a", 0);
        fromWorker(worker, new Token(1, "a"));
        tokens.withholdCredit(); // the client reads nothing of it from here on
        tokens.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        fromWorker(worker, new Token(2, " b"));
        fromWorker(worker, new End("g-1", 2, FinishReason.STOP, null));

        passOnClient(tokens, QuicStreams.DEFAULT_LINGER.plusSeconds(5));
        assertThat(tokens.resetCode()).as("a client as slow as allowed is not reset yet").isEqualTo(-1);
        passOnClient(tokens, LimitProperties.DEFAULTS.slowClientTimeout());

        assertThat(tokens.resetCode()).as("reset, with").isEqualTo(ErrorCode.TOO_SLOW.code());
        assertThat(tokens.isActive()).isFalse();
    }

    /**
     * A worker found through DNS registers the token stream while a stream to it is opening on its link without token
     * streams: the link with token streams replaces it as the worker's link before the stream is open. The stream was
     * taken for one of the new link's: a client too slow for it had the worker sent PAUSE on a stream whose tokens
     * come on the stream itself, which the worker does not read there, and the stream went on being read, the
     * director holding what the client could not take. A stream keeps the kind of the link it opened on: its reading
     * stops.
     */
    @Test
    void aStreamOpenedOnAPlainLinkAsTheTokenStreamLinkReplacesItIsHeldBackByNotReadingIt() {
        HostPort address = new HostPort("127.0.0.1", 62001);
        registry.discovered(Set.of(address), new DiscoveryProperties("worker-headless:62001", Duration.ofSeconds(5),
                8081, "/actuator/health", Duration.ofSeconds(1)));
        loop.runPendingTasks();
        WorkerEndpoint worker = registry.workers().iterator().next();
        registry.pollCompleted(worker, PollResult.answered("UP", 200));
        loop.runPendingTasks();
        assertThat(worker.tokenStream()).as("the link dialled before the worker registered").isFalse();
        EmbeddedQuicStream client = clientStream();
        client.unsafe().outboundBuffer().setUserDefinedWritability(1, false); // the client reads slower than tokens come
        holdOpenings = true;
        relay.open(client, "conn-1", GenerationRequest.completion("g-1", "p", 3));
        loop.runPendingTasks();

        registry.register(new WorkerRegistration("worker-a", address.toString(),
                "http://127.0.0.1:8081/actuator/health", 50, "i-a", List.of("stand-in"),
                List.of(WorkerRegistration.TOKEN_STREAM)));
        loop.runPendingTasks();
        assertThat(worker.tokenStream()).as("the worker's link now: the replacement").isTrue();
        heldOpenings.forEach(Runnable::run);
        EmbeddedQuicStream stream = workerStream(address.toString(), 0);
        fromWorker(stream, new Connected("worker-a", "conn-1", 1, "g-1", 0, "stand-in"));

        assertThat(stream.config().isAutoRead()).as("the worker stream is no longer read").isFalse();
        assertThat(framesWritten(stream)).as("frames the director sent the worker")
                .containsExactly(FrameType.ASSIGNMENT);
    }

    /** The types of the frames written on {@code stream} (one frame per write), released. */
    private static List<FrameType> framesWritten(EmbeddedQuicStream stream) {
        List<FrameType> types = new ArrayList<>();
        ByteBuf written;
        while ((written = stream.readOutbound()) != null) {
            types.add(FrameType.fromCode(written.getUnsignedByte(written.readerIndex())));
            written.release();
        }
        return types;
    }

    private static List<String> warnings(CapturedLogs logs, String message) {
        return logs.events().stream().filter(event -> event.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).filter(line -> line.endsWith(message))
                .map(line -> line.contains("repeats=") ? message + " (repeats="
                        + line.replaceAll(".*repeats=(\\d+).*", "$1") + ")" : message)
                .toList();
    }

    /** Opens {@code request} on a new stream of {@code connection}; returns the ERROR codes the client got. */
    private List<ErrorCode> refused(QuicChannel connection, long id, GenerationRequest request) {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(connection, id, UnpooledByteBufAllocator.DEFAULT);
        clientStreams.add(stream);
        relay.open(stream, ConnectionIds.of(stream), request);
        loop.runPendingTasks();
        List<ErrorCode> codes = new ArrayList<>();
        Object written;
        while ((written = stream.readOutbound()) != null) {
            if (written instanceof StreamError error) {
                codes.add(error.code());
            }
            io.netty.util.ReferenceCountUtil.release(written);
        }
        return codes;
    }

    /** Count and total in ms of the time-to-first-token timer. */
    private List<Double> firstTokens() {
        io.micrometer.core.instrument.Timer timer = meterRegistry.get("connection.swap.time.to.first.token").timer();
        return List.of((double) timer.count(), timer.totalTime(TimeUnit.MILLISECONDS));
    }

    private double streamsStarted(String kind) {
        return meterRegistry.get("connection.swap.streams.started").tag("kind", kind).counter().count();
    }

    private double generations(String finishReason) {
        return meterRegistry.get("connection.swap.generations").tag("finish_reason", finishReason).counter().count();
    }

    private WorkerEndpoint healthyWorker(String label) {
        int port = 62001 + registry.workers().size();
        WorkerEndpoint worker = registry.register(new WorkerRegistration(label, "127.0.0.1:" + port,
                "http://127.0.0.1:8081/actuator/health", 50, "i-" + label, List.of("stand-in")));
        loop.runPendingTasks();
        registry.pollCompleted(worker, PollResult.answered("UP", 200));
        loop.runPendingTasks();
        return worker;
    }

    private EmbeddedQuicStream clientStream() {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(clientConnection, 4L * (clientStreams.size() + 1),
                UnpooledByteBufAllocator.DEFAULT);
        clientStreams.add(stream);
        return stream;
    }

    private EmbeddedQuicStream workerStream(String label, int index) {
        loop.runPendingTasks();
        List<EmbeddedQuicStream> streams = workerStreams.get(label);
        assertThat(streams).as("streams opened to %s", label).isNotNull().hasSizeGreaterThan(index);
        return streams.get(index);
    }

    private void fromWorker(EmbeddedQuicStream worker, Message message) {
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
            public void close(String reason) {
            }

            @Override
            public int streamsHeld() {
                return workerStreams.getOrDefault(worker.label(), List.of()).size();
            }
        });
    }
}
