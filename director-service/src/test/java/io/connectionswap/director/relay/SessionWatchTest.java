package io.connectionswap.director.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.registry.WorkerSource;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.quic.HostPort;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/** The watch's limits: a client that stops reading is cut off with TOO_SLOW; a session that lives too long ends. */
class SessionWatchTest {

    private final DefaultEventLoop loop = new DefaultEventLoop();
    private final SimpleMeterRegistry meterRegistry = new SimpleMeterRegistry();
    private final DirectorMeters meters = new DirectorMeters(meterRegistry, loop);
    private final DirectorProperties properties = TestDirectorProperties.defaults();
    private final LimitProperties limits = new LimitProperties(1000, 1000, 250, Duration.ofSeconds(10), 65536,
            Duration.ofMinutes(10), DataSize.ofMegabytes(4), Duration.ofSeconds(5), true, null);
    private final WorkerRegistry registry = new WorkerRegistry(loop, Runnable::run,
            (worker, remote, onLost) -> loop.newFailedFuture(new IllegalStateException("not in this test")), properties,
            new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4), meters);
    private final Set<RelaySession> sessions = new LinkedHashSet<>();
    private final List<DirectorMeters.Finish> finishes = new ArrayList<>();
    private final SessionWatch watch = new SessionWatch(registry, sessions, new StallWatch(StallPolicy.of(properties)),
            limits, meters, TimeUnit.MILLISECONDS.toNanos(150), () -> { }, () -> this.now);
    private final WorkerEndpoint worker = new WorkerEndpoint("worker-a", new HostPort("127.0.0.1", 62001),
            URI.create("http://127.0.0.1:1/actuator/health"), Duration.ofMillis(50), "i-1", "127.0.0.1",
            WorkerSource.REGISTRATION, List.of("m"));
    private final FakeClient client = new FakeClient();
    /** A generation on a client token stream the client stopped reading (or: the client cannot take more). */
    private final FakeClient stopped = new FakeClient();
    private final FakeWorker workerSide = new FakeWorker();
    private long now = System.nanoTime();

    @AfterEach
    void tearDown() {
        client.relayed.forEach(ByteBuf::release);
        stopped.relayed.forEach(ByteBuf::release);
        loop.shutdownGracefully();
    }

    @Test
    void aClientThatStopsReadingIsCutOffWithTooSlowAfterTheTimeout() {
        RelaySession session = open();
        client.writable = false;
        session.fromWorker(TestFrames.frame(new Token(1, "a")));
        assertThat(workerSide.reading).as("back-pressure first").isFalse();
        now += TimeUnit.SECONDS.toNanos(5);
        watch.round(now);
        assertThat(client.aborted).isNull();
        now += TimeUnit.MILLISECONDS.toNanos(10);
        watch.round(now);
        assertThat(client.aborted).isEqualTo(ErrorCode.TOO_SLOW);
        assertThat(workerSide.cancelled).as("the worker stops; its stream reads again and is released").isTrue();
        assertThat(sessions).isEmpty();
        assertThat(meterRegistry.get("connection.swap.limit.hits").tag("limit", "slow_client").counter().count())
                .isEqualTo(1);
        assertThat(finishes).as("a generation cut off ends with an error").containsExactly(DirectorMeters.Finish.ERROR);
    }

    @Test
    void aClientThatReadsAgainInTimeIsNotCutOff() {
        RelaySession session = open();
        client.writable = false;
        session.fromWorker(TestFrames.frame(new Token(1, "a")));
        now += TimeUnit.SECONDS.toNanos(4);
        client.writable = true;
        session.clientWritable(true);
        now += TimeUnit.SECONDS.toNanos(4);
        worker.echoed(now);
        session.fromWorker(TestFrames.frame(new Token(2, "b")));
        watch.round(now);
        assertThat(client.aborted).isNull();
        assertThat(session.relaying()).isTrue();
        assertThat(finishes).isEmpty();
    }

    @Test
    void aSessionThatLivesLongerThanAllowedEndsWithStreamTimeout() {
        RelaySession session = open();
        now += TimeUnit.MINUTES.toNanos(10) + 1;
        worker.echoed(now);
        session.fromWorker(TestFrames.frame(new Token(1, "a")));
        watch.round(now);
        assertThat(client.error.code()).isEqualTo(ErrorCode.STREAM_TIMEOUT);
        assertThat(client.error.message()).contains("CONNECTION_SWAP_MAX_SESSION_DURATION");
        assertThat(workerSide.cancelled).isTrue();
        assertThat(meterRegistry.get("connection.swap.limit.hits").tag("limit", "session_duration").counter().count())
                .isEqualTo(1);
        assertThat(finishes).containsExactly(DirectorMeters.Finish.ERROR);
    }

    /**
     * A round that ran late was skipped every time, so a director whose loop ran late at every round (overloaded)
     * never moved a stream its worker had gone silent on; now a late round excuses the silence once, and the next
     * round, late or not, decides by the clock.
     */
    @Test
    void aSilentStreamMovesEvenWhenEveryRoundRunsLate() {
        FakeWorker silentSide = new FakeWorker();
        RelaySession flowing = open(1, workerSide);
        RelaySession silent = open(2, silentSide);
        flowing.fromWorker(TestFrames.frame(new Connected("worker-a", "conn-1", 1, "g-1", 0, "m")));
        silent.fromWorker(TestFrames.frame(new Connected("worker-a", "conn-1", 2, "g-1", 0, "m")));
        watch.round(now);
        for (int sequence = 1; sequence <= 10; sequence++) {
            now += TimeUnit.MILLISECONDS.toNanos(350); // every round more than a period late (150 ms)
            worker.echoed(now);
            flowing.fromWorker(TestFrames.frame(new Token(sequence, " t")));
            watch.round(now);
        }
        assertThat(silent.relaying()).as("silent for 3.5 s of a 300 ms allowance").isFalse();
        assertThat(silentSide.cancelled).isTrue();
        assertThat(flowing.relaying()).as("its worker answers on it").isTrue();
    }

    /**
     * A worker that takes a stream and never answers its hand-off (no CONNECTED, its heartbeat answered, its other
     * stream flowing): the client sees nothing on that stream for the first-token allowance
     * ({@code CONNECTION_SWAP_FIRST_TOKEN_TIMEOUT}, 30 s here as by default), then a RETRY naming it, and the
     * worker's stream ends; the 1 h session lifetime is never what ends it.
     */
    @Test
    void aHandOffTheWorkerNeverAnswersMovesAtTheFirstTokenAllowance() {
        FakeWorker silentSide = new FakeWorker();
        RelaySession flowing = open(1, workerSide, 1000); // a token every round for more than 30 s
        RelaySession unanswered = open(2, silentSide);
        assertThat(silentSide.assignment).as("handed off").isNotNull();
        flowing.fromWorker(TestFrames.frame(new Connected("worker-a", "conn-1", 1, "g-1", 0, "m")));
        long handedOff = now;
        int sequence = 0;
        while (now - handedOff < TimeUnit.SECONDS.toNanos(30)) {
            now += TimeUnit.MILLISECONDS.toNanos(150);
            worker.echoed(now);
            flowing.fromWorker(TestFrames.frame(new Token(++sequence, " t")));
            watch.round(now);
            if (now - handedOff <= TimeUnit.SECONDS.toNanos(30)) {
                assertThat(unanswered.relaying()).as("within the allowance, at +%d ms",
                        TimeUnit.NANOSECONDS.toMillis(now - handedOff)).isTrue();
            }
        }
        now += TimeUnit.MILLISECONDS.toNanos(150);
        worker.echoed(now);
        flowing.fromWorker(TestFrames.frame(new Token(++sequence, " t")));
        watch.round(now);

        assertThat(unanswered.relaying()).as("moved past the allowance").isFalse();
        assertThat(silentSide.cancelled).as("the worker's stream ends").isTrue();
        assertThat(client.retry).as("the client is told to resume elsewhere").isNotNull();
        assertThat(client.retry.detail()).contains("no answer to the hand-off", "CONNECTION_SWAP_FIRST_TOKEN_TIMEOUT");
        assertThat(flowing.relaying()).as("its worker answers on it").isTrue();
    }

    /**
     * A hand-off opened while its client cannot take more (the client token stream of a client that stopped reading
     * it), to a worker that never answers it (no CONNECTED, no token; its heartbeat answers and its other stream
     * flows). Nothing of the worker was held, so the slow-client clock never started, and the stall watch took the
     * full client for back-pressure: neither the first-token allowance nor the slow-client cutoff fired, and the
     * session lived until its lifetime. The client reads nothing of its stream, so the slow-client rule applies.
     */
    @Test
    void aHandOffOpenedWhileItsClientCannotTakeMoreIsCutOffAtTheSlowClientTimeout() {
        RelaySession flowing = open(1, workerSide, 1000);
        flowing.fromWorker(TestFrames.frame(new Connected("worker-a", "conn-1", 1, "g-1", 0, "m")));
        stopped.writable = false;
        FakeWorker unanswering = new FakeWorker();
        RelaySession held = open(2, stopped, unanswering, 100);
        assertThat(unanswering.assignment).as("handed off").isNotNull();

        assertCutOffAtTheSlowClientTimeout(held, flowing, unanswering, now);
    }

    /**
     * As above, the client token stream filling (with other generations' frames) after the hand-off and before the
     * worker's answer, as a stream admitted while the token stream could take more finds it.
     */
    @Test
    void aHandOffWhoseClientFillsBeforeTheWorkerAnswersIsCutOffAtTheSlowClientTimeout() {
        RelaySession flowing = open(1, workerSide, 1000);
        flowing.fromWorker(TestFrames.frame(new Connected("worker-a", "conn-1", 1, "g-1", 0, "m")));
        FakeWorker unanswering = new FakeWorker();
        RelaySession held = open(2, stopped, unanswering, 100);
        now += TimeUnit.MILLISECONDS.toNanos(20);
        stopped.writable = false;
        held.clientWritable(false); // the client token stream's writability fan-out

        assertCutOffAtTheSlowClientTimeout(held, flowing, unanswering, now);
    }

    /**
     * A worker that goes silent on a stream mid-generation while that stream's client token stream is full with
     * other generations' frames: nothing of it is held, and the client reads nothing, so the slow-client rule applies.
     */
    @Test
    void aStreamWhoseClientFillsAfterItsWorkerFellSilentIsCutOffAtTheSlowClientTimeout() {
        RelaySession flowing = open(1, workerSide, 1000);
        flowing.fromWorker(TestFrames.frame(new Connected("worker-a", "conn-1", 1, "g-1", 0, "m")));
        FakeWorker stuck = new FakeWorker();
        RelaySession held = open(2, stopped, stuck, 100);
        held.fromWorker(TestFrames.frame(new Connected("worker-a", "conn-1", 2, "g-2", 0, "m")));
        held.fromWorker(TestFrames.frame(new Token(1, "a")));
        now += TimeUnit.MILLISECONDS.toNanos(20);
        stopped.writable = false;
        held.clientWritable(false);

        assertCutOffAtTheSlowClientTimeout(held, flowing, stuck, now);
    }

    /**
     * Runs the watch's rounds (every 150 ms; the worker echoes and sends a token on {@code flowing} at each) and
     * checks that {@code held}, whose client has taken nothing since {@code fullSince}, relays up to the slow-client
     * timeout (5 s here) and is cut off with TOO_SLOW at the first round past it: its worker stops, it is counted as a
     * slow client, the worker is not blamed (no RETRY, it stays in rotation, its other stream flows).
     */
    private void assertCutOffAtTheSlowClientTimeout(RelaySession held, RelaySession flowing, FakeWorker heldSide,
                                                    long fullSince) {
        long slowClient = limits.slowClientTimeout().toNanos();
        int sequence = 0;
        while (now - fullSince <= slowClient) {
            assertThat(held.relaying()).as("within the slow-client timeout, at +%d ms",
                    TimeUnit.NANOSECONDS.toMillis(now - fullSince)).isTrue();
            now += TimeUnit.MILLISECONDS.toNanos(150);
            worker.echoed(now);
            flowing.fromWorker(TestFrames.frame(new Token(++sequence, " t")));
            watch.round(now);
        }
        assertThat(held.relaying()).as("ended at the first round past the slow-client timeout, +%d ms",
                TimeUnit.NANOSECONDS.toMillis(now - fullSince)).isFalse();
        assertThat(stopped.aborted).as("the client is cut off").isEqualTo(ErrorCode.TOO_SLOW);
        assertThat(stopped.retry).as("the worker is not blamed").isNull();
        assertThat(heldSide.cancelled).as("the worker's stream ends").isTrue();
        assertThat(meterRegistry.get("connection.swap.limit.hits").tag("limit", "slow_client").counter().count())
                .isEqualTo(1);
        assertThat(flowing.relaying()).as("its worker answers on it").isTrue();
        assertThat(workerSide.cancelled).isFalse();
    }

    /** A single late round (a pause of the director's own loop) blames no one: what it did not read proves nothing. */
    @Test
    void aRoundAfterAPauseOfTheDirectorsLoopMovesNothing() {
        RelaySession session = open();
        session.fromWorker(TestFrames.frame(new Connected("worker-a", "conn-1", 1, "g-1", 0, "m")));
        watch.round(now);
        now += TimeUnit.SECONDS.toNanos(5); // GC pause: the worker's echoes and frames wait unread
        watch.round(now);
        assertThat(session.relaying()).isTrue();
        worker.echoed(now); // read once the loop runs again
        session.fromWorker(TestFrames.frame(new Token(1, "a")));
        now += TimeUnit.MILLISECONDS.toNanos(150);
        watch.round(now);
        assertThat(session.relaying()).isTrue();
    }

    /**
     * The watch ran at a fixed rate, so the rounds a pause of its loop missed ran back to back once the loop ran
     * again: the first was excused as late, and the next, on time by that schedule, decided before the loop had read
     * its socket and moved a stream whose token sat unread there (its worker alive, answering on the other loops).
     * Now a round runs a period after the previous one ended, so the loop reads between a late round and the next.
     */
    @Test
    void theRoundsAPauseOfTheLoopMissedDoNotRunBackToBack() {
        EmbeddedChannel routingLoop = new EmbeddedChannel();
        routingLoop.freezeTime();
        SessionWatch scheduled = new SessionWatch(registry, sessions, new StallWatch(StallPolicy.of(properties)),
                limits, meters, TimeUnit.MILLISECONDS.toNanos(150), () -> { }, () -> now);
        RelaySession session = open();
        session.fromWorker(TestFrames.frame(new Connected("worker-a", "conn-1", 1, "g-1", 0, "m")));
        scheduled.start(routingLoop.eventLoop());
        int sequence = 0;
        for (int round = 0; round < 3; round++) {
            passOnLoop(routingLoop, 150);
            worker.echoed(now);
            session.fromWorker(TestFrames.frame(new Token(++sequence, " t")));
            routingLoop.runScheduledPendingTasks();
        }

        passOnLoop(routingLoop, 2000); // this loop held up 2 s; the worker's next token waits unread in its socket
        worker.echoed(now); // the worker lives: the other loops read its echoes and frames all along
        worker.heardFrom(now);
        routingLoop.runScheduledPendingTasks();
        assertThat(session.relaying()).as("no round decided before the loop read its socket").isTrue();

        session.fromWorker(TestFrames.frame(new Token(++sequence, " t"))); // read once the loop runs again
        passOnLoop(routingLoop, 150);
        worker.echoed(now);
        routingLoop.runScheduledPendingTasks();
        assertThat(session.relaying()).isTrue();
        assertThat(workerSide.cancelled).isFalse();
        scheduled.stop();
        routingLoop.finishAndReleaseAll();
    }

    /** Moves the test's clock and {@code routingLoop}'s by {@code millis} (its due rounds run when the test says). */
    private void passOnLoop(EmbeddedChannel routingLoop, long millis) {
        now += TimeUnit.MILLISECONDS.toNanos(millis);
        routingLoop.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
    }

    private RelaySession open() {
        return open(1, workerSide);
    }

    private RelaySession open(long streamId, FakeWorker side) {
        return open(streamId, side, 100);
    }

    private RelaySession open(long streamId, FakeWorker side, int maxTokens) {
        return open(streamId, client, side, maxTokens);
    }

    private RelaySession open(long streamId, FakeClient clientSide, FakeWorker side, int maxTokens) {
        RelaySession session = new RelaySession(streamId, "conn-1", clientSide,
                GenerationRequest.completion("g-1", "p", maxTokens), worker,
                new SessionEvents() {
                    @Override
                    public void sessionEnded(RelaySession ended) {
                        sessions.remove(ended);
                    }

                    @Override
                    public void swapped(RelaySession swapped, String reason) {
                    }

                    @Override
                    public void migrationLimitReached(RelaySession limited, String reason) {
                    }

                    @Override
                    public void requestFailed(RelaySession failed, ErrorCode code) {
                    }

                    @Override
                    public void workerDraining(RelaySession draining, String detail) {
                    }

                    @Override
                    public void generationFinished(RelaySession finished, DirectorMeters.Finish finish) {
                        finishes.add(finish);
                    }

                    @Override
                    public void tokenRelayed(RelaySession relayed, boolean firstOfSession) {
                    }
                }, 3, () -> now);
        session.workerStreamOpened(side);
        sessions.add(session);
        return session;
    }
}
