package io.connectionswap.director.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerSource;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.quic.HostPort;
import io.netty.buffer.ByteBuf;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stall watch's decisions on a fake clock: a hung worker is found by the silence of its link heartbeat and its
 * streams within the stall minimum; a self-paced worker's slow first token and uneven gaps never move a stream while
 * its heartbeat answers; a fixed-pace worker keeps today's per-stream limits.
 */
class StallWatchTest {

    private static final long WATCH_PERIOD = ms(150);

    private final long start = System.nanoTime();
    private long now = start;
    private final StallWatch watch = new StallWatch(new StallPolicy(Duration.ofMillis(300), 3, Duration.ofSeconds(30),
            Duration.ofSeconds(15)));
    private final List<RelaySession> sessions = new ArrayList<>();
    private final List<FakeClient> clients = new ArrayList<>();
    private final WorkerEndpoint selfPaced = worker("upstream-a", 62001, Duration.ZERO);
    private final WorkerEndpoint fixedPace = worker("stand-in-b", 62002, Duration.ofMillis(50));

    @AfterEach
    void releaseRelayedFrames() {
        clients.forEach(client -> client.relayed.forEach(ByteBuf::release));
    }

    @Test
    void aSlowFirstTokenAndUnevenGapsNeverMoveAStreamWhileTheWorkerAnswersItsHeartbeat() {
        RelaySession session = open(selfPaced);
        session.fromWorker(TestFrames.frame(new Connected("upstream-a", "conn-1", 1, "g", 0, "llama")));
        // time to first token 3 s: only heartbeats meanwhile
        advanceWithHeartbeats(ms(3000), selfPaced);
        session.fromWorker(TestFrames.frame(new Token(1, "a")));
        // then 200 tokens with gaps jittered from 10 to 400 ms
        Random random = new Random(7);
        for (int sequence = 2; sequence <= 200; sequence++) {
            advanceWithHeartbeats(ms(10 + random.nextInt(391)), selfPaced);
            session.fromWorker(TestFrames.frame(new Token(sequence, " t")));
        }
        assertThat(session.relaying()).isTrue();
    }

    @Test
    void aLiveSelfPacedWorkerMayTakeItsWholeFirstTokenAllowance() {
        RelaySession session = open(selfPaced);
        session.fromWorker(TestFrames.frame(new Connected("upstream-a", "conn-1", 1, "g", 0, "llama")));
        advanceWithHeartbeats(ms(29_900), selfPaced);
        assertThat(session.relaying()).isTrue();
        now += ms(200);
        selfPaced.echoed(now);
        List<StallWatch.Decision> decisions = watch.decide(now, sessions, List.of());
        assertThat(decisions).singleElement().isInstanceOfSatisfying(StallWatch.WorkerStalled.class, stalled -> {
            assertThat(stalled.worker()).isSameAs(selfPaced);
            assertThat(stalled.detail()).contains("no first token for more than 30000 ms");
        });
    }

    @Test
    void onlyTheSilentStreamMovesWhenTheSameWorkerAnswersOnAnother() {
        RelaySession waiting = open(selfPaced);
        RelaySession flowing = open(selfPaced);
        waiting.fromWorker(TestFrames.frame(new Connected("upstream-a", "conn-1", 1, "g", 0, "llama")));
        int sequence = 0;
        for (long elapsed = 0; elapsed < ms(31_000); elapsed += ms(200)) {
            now += ms(200);
            selfPaced.echoed(now);
            flowing.fromWorker(TestFrames.frame(new Token(++sequence, " t")));
        }
        List<StallWatch.Decision> decisions = watch.decide(now, sessions, List.of());
        assertThat(decisions).singleElement().isInstanceOfSatisfying(StallWatch.StreamStalled.class, stalled -> {
            assertThat(stalled.session()).isSameAs(waiting);
            assertThat(stalled.detail()).contains("CONNECTION_SWAP_FIRST_TOKEN_TIMEOUT").endsWith("on this stream");
        });
    }

    @Test
    void aHungWorkerIsFoundWithinTheStallMinimumWhateverItsPace() {
        for (WorkerEndpoint worker : List.of(selfPaced, fixedPace)) {
            RelaySession session = open(worker);
            session.fromWorker(TestFrames.frame(new Connected(worker.label(), "conn-1", 1, "g", 0, "m")));
            session.fromWorker(TestFrames.frame(new Token(1, "a")));
            worker.echoed(now);
        }
        long stopped = now; // SIGSTOP: no echo, no frame from now on
        now = stopped + ms(300);
        assertThat(watch.decide(now, sessions, List.of())).isEmpty();
        now = stopped + ms(301);
        List<StallWatch.Decision> decisions = watch.decide(now, sessions, List.of());
        assertThat(decisions).hasSize(2).allSatisfy(decision -> assertThat(decision)
                .isInstanceOfSatisfying(StallWatch.WorkerStalled.class,
                        stalled -> assertThat(stalled.detail()).contains("no heartbeat echo").contains("hangs")));
    }

    @Test
    void whenEveryWorkerInRotationFallsSilentAtOnceTheirHangIsHeldUntilTheLongerLimit() {
        hangBoth();
        long stopped = now;
        List<WorkerEndpoint> inRotation = List.of(selfPaced, fixedPace);
        now = stopped + ms(301);
        assertThat(watch.decide(now, sessions, inRotation)).as("both silent: the director's host may be starved")
                .singleElement().isInstanceOfSatisfying(StallWatch.HangsHeld.class, held -> {
                    assertThat(held.workers()).containsExactly(selfPaced, fixedPace);
                    assertThat(held.limitNanos()).isEqualTo(ms(3000));
                });
        now = stopped + ms(3000);
        assertThat(watch.decide(now, sessions, inRotation)).singleElement().isInstanceOf(StallWatch.HangsHeld.class);
        now = stopped + ms(3001);
        assertThat(watch.decide(now, sessions, inRotation)).hasSize(2).allSatisfy(decision -> assertThat(decision)
                .isInstanceOfSatisfying(StallWatch.WorkerStalled.class,
                        stalled -> assertThat(stalled.detail()).contains("for more than 3000 ms")));
    }

    /**
     * Both workers stop at once, but one's last heartbeat echo came a heartbeat after the other's: when the first
     * passes the hang limit the second is not past it yet, only quiet. Both are held all the same.
     */
    @Test
    void workersFallingSilentAHeartbeatApartAreHeldToo() {
        hangBoth();
        long stopped = now;
        fixedPace.echoed(stopped + ms(100)); // its last echo, a heartbeat after self-paced's
        List<WorkerEndpoint> inRotation = List.of(selfPaced, fixedPace);
        now = stopped + ms(301); // self-paced hangs; fixed-pace has been quiet for 201 ms, silent on its stream 301 ms
        assertThat(watch.decide(now, sessions, inRotation)).singleElement()
                .isInstanceOfSatisfying(StallWatch.HangsHeld.class,
                        held -> assertThat(held.workers()).containsExactlyInAnyOrder(selfPaced, fixedPace));
    }

    /**
     * Two fixed-pace workers stop at once, each with an echo after its last token: their streams pass the stream
     * limit before either is past the hang limit. Silent on every stream while every worker is quiet: held, not moved.
     */
    @Test
    void workersSilentOnEveryStreamWhileEveryWorkerIsQuietAreHeld() {
        WorkerEndpoint otherFixedPace = worker("stand-in-c", 62004, Duration.ofMillis(50));
        for (WorkerEndpoint worker : List.of(fixedPace, otherFixedPace)) {
            RelaySession session = open(worker);
            session.fromWorker(TestFrames.frame(new Connected(worker.label(), "conn-1", 1, "g", 0, "m")));
            session.fromWorker(TestFrames.frame(new Token(1, "a")));
        }
        long stopped = now;
        fixedPace.echoed(stopped + ms(80));
        otherFixedPace.echoed(stopped + ms(90));
        List<WorkerEndpoint> inRotation = List.of(fixedPace, otherFixedPace);
        now = stopped + ms(301); // streams silent for 301 ms (limit 300), the workers quiet for 211-221 ms
        assertThat(watch.decide(now, sessions, inRotation)).singleElement()
                .isInstanceOfSatisfying(StallWatch.HangsHeld.class,
                        held -> assertThat(held.workers()).containsExactlyInAnyOrder(fixedPace, otherFixedPace));
        // one answers its heartbeat again, not its stream (a stuck model), and the other is past the hang limit:
        // not everyone is quiet any more, so both are called (as without the hold)
        now = stopped + ms(400);
        otherFixedPace.echoed(now);
        assertThat(watch.decide(now, sessions, inRotation)).hasSize(2).allSatisfy(decision -> assertThat(decision)
                .isInstanceOf(StallWatch.WorkerStalled.class));
    }

    @Test
    void aHangIsCalledAtTheStallMinimumWhileAnotherWorkerInRotationAnswers() {
        WorkerEndpoint idle = worker("idle-c", 62003, Duration.ZERO); // no stream, but its heartbeat answers
        hangBoth();
        long stopped = now;
        now = stopped + ms(301);
        idle.echoed(now);
        assertThat(watch.decide(now, sessions, List.of(selfPaced, fixedPace, idle))).hasSize(2)
                .allSatisfy(decision -> assertThat(decision).isInstanceOf(StallWatch.WorkerStalled.class));
    }

    @Test
    void aSilentWorkerOutOfRotationIsNotHeld() {
        hangBoth();
        long stopped = now;
        now = stopped + ms(301);
        // fixed-pace is draining (out of rotation): its hang is called; self-paced, the only one in rotation, is held
        List<StallWatch.Decision> decisions = watch.decide(now, sessions, List.of(selfPaced));
        assertThat(decisions).hasSize(2);
        assertThat(decisions.get(0)).isInstanceOfSatisfying(StallWatch.WorkerStalled.class, stalled -> {
            assertThat(stalled.worker()).isSameAs(fixedPace);
            assertThat(stalled.detail()).contains("for more than 300 ms");
        });
        assertThat(decisions.get(1)).isInstanceOfSatisfying(StallWatch.HangsHeld.class,
                held -> assertThat(held.workers()).containsExactly(selfPaced));
    }

    /** A stream on each of the two workers, one token relayed each, then both stop (SIGSTOP) at {@code now}. */
    private void hangBoth() {
        for (WorkerEndpoint worker : List.of(selfPaced, fixedPace)) {
            RelaySession session = open(worker);
            session.fromWorker(TestFrames.frame(new Connected(worker.label(), "conn-1", 1, "g", 0, "m")));
            session.fromWorker(TestFrames.frame(new Token(1, "a")));
            worker.echoed(now);
        }
    }

    @Test
    void aSlowClientIsBackPressureNotAStallButAHangIsStillAHang() {
        RelaySession session = open(fixedPace);
        session.fromWorker(TestFrames.frame(new Token(1, "a")));
        clients.get(0).writable = false;
        advanceWithHeartbeats(ms(5000), fixedPace);
        assertThat(session.relaying()).isTrue();
        now += ms(400);
        assertThat(watch.decide(now, sessions, List.of())).singleElement().isInstanceOf(StallWatch.WorkerStalled.class);
    }

    /**
     * A live worker (its heartbeat answers) with one stuck stream and one stream its client holds back (PAUSE, or a
     * full client token stream): the held stream is back-pressure, so it gets no frames and proves nothing about the
     * model. Only the stuck stream should move; the held generation must not move (reason stall, a migration) and the
     * worker must not leave rotation because a client reads slowly. "When only some of its streams are silent, only
     * those move"; "a stream whose client reads slowly is back-pressure, never a stall" (README).
     */
    @Test
    void aStreamHeldBackByItsClientDoesNotMakeOneStuckStreamTakeTheWholeWorkerOut() {
        RelaySession stuck = open(fixedPace);
        RelaySession held = open(fixedPace);
        stuck.fromWorker(TestFrames.frame(new Token(1, "a")));
        clients.get(1).writable = false; // its client reads slowly: the worker is held back on that stream
        held.fromWorker(TestFrames.frame(new Token(1, "a")));
        assertThat(held.clientBlockedSinceNanos()).isNotEqualTo(-1);
        now += ms(310);
        fixedPace.echoed(now); // alive
        assertThat(held.relaying()).isTrue();

        assertThat(watch.decide(now, sessions, List.of(fixedPace, selfPaced)))
                .as("only the stuck stream moves; the paused generation stays on its live worker")
                .singleElement().isInstanceOfSatisfying(StallWatch.StreamStalled.class,
                        stalled -> assertThat(stalled.session()).isSameAs(stuck));
    }

    /**
     * The model of a live worker (its heartbeat answers) stops on every stream; only well past the stream limit does
     * one of its clients PAUSE its generation (a slow consumer; a client token stream full with other workers' tokens
     * holds a stream back alike). The held stream had shown nothing for longer than its limit before it was held, so it
     * proves nothing about the model, yet it exempted the worker from "silent on every stream": only the other stream
     * moved, and the stuck worker stayed in rotation with one stream fewer, the least loaded, so new generations were
     * sent to it and each waited out the stall limit before moving. Now the worker is taken out (WorkerStalled), as
     * when no client holds a stream back; a stream held back while its worker was still sending on it keeps the
     * exemption (aStreamHeldBackByItsClientDoesNotMakeOneStuckStreamTakeTheWholeWorkerOut). Found by the review helper.
     */
    @Test
    void aStreamPausedOnlyAfterItsWorkerFellSilentOnItDoesNotKeepTheStuckWorkerInRotation() {
        RelaySession stuck = open(fixedPace);
        RelaySession pausedLate = open(fixedPace);
        stuck.fromWorker(TestFrames.frame(new Token(1, "a")));
        pausedLate.fromWorker(TestFrames.frame(new Token(1, "a")));
        now += ms(1000); // the model sends nothing on either stream, far past the stream limit; the heartbeat answers
        fixedPace.echoed(now);
        pausedLate.clientPaused(true);
        assertThat(pausedLate.clientBlockedSinceNanos()).as("held back only now").isEqualTo(now);

        assertThat(watch.decide(now, sessions, List.of(fixedPace, selfPaced)))
                .as("a worker silent on every stream, the paused one included since long before its PAUSE")
                .singleElement().isInstanceOf(StallWatch.WorkerStalled.class);
    }

    /**
     * A client that PAUSEs its generation, unPAUSEs it and PAUSEs it again gets no more for it than one PAUSE: the
     * unPAUSE restarted the stream's silence (fc48871's rule for a client that reads again), and the next PAUSE held a
     * stream whose worker had sent nothing on it since before the first, so a stuck worker stayed in rotation for as
     * long as its client went on. The time held is not silence, the time read is, whatever came between.
     */
    @Test
    void aPauseAndUnpauseDoNotRestartTheSilenceOfAStreamWhoseWorkerStopped() {
        RelaySession stuck = open(fixedPace);
        RelaySession toggled = open(fixedPace);
        stuck.fromWorker(TestFrames.frame(new Token(1, "a")));
        toggled.fromWorker(TestFrames.frame(new Token(1, "a")));
        now += ms(200); // within the limit (300 ms): the worker may still be sending on it
        toggled.clientPaused(true);
        now += ms(5000);
        toggled.clientPaused(false); // read for 150 ms, nothing comes: 350 ms read and silent in all
        now += ms(150);
        toggled.clientPaused(true);
        fixedPace.echoed(now); // alive

        assertThat(watch.decide(now, sessions, List.of(fixedPace, selfPaced)))
                .as("silent on every stream for longer than the limit while read: the worker is stuck")
                .singleElement().isInstanceOf(StallWatch.WorkerStalled.class);
    }

    /**
     * A client that reads slowly (a gateway's client token stream full at times) holds a stream back for long, reads
     * a moment and holds it again before its worker's next frame: the worker was sending when it was first held and
     * had little time to send after, so the stream stays back-pressure; only the stuck stream moves.
     */
    @Test
    void aStreamHeldAgainJustAfterALongHoldIsStillBackPressure() {
        RelaySession stuck = open(fixedPace);
        RelaySession slow = open(fixedPace);
        stuck.fromWorker(TestFrames.frame(new Token(1, "a")));
        clients.get(1).writable = false;
        slow.fromWorker(TestFrames.frame(new Token(1, "a"))); // held back at once
        now += ms(5000);
        clients.get(1).writable = true;
        slow.clientWritable(true);
        now += ms(20);
        slow.clientPaused(true); // held again, 20 ms after it was read again
        fixedPace.echoed(now);

        assertThat(watch.decide(now, sessions, List.of(fixedPace, selfPaced)))
                .as("only the stuck stream moves; the held one stays on its live worker")
                .singleElement().isInstanceOfSatisfying(StallWatch.StreamStalled.class,
                        stalled -> assertThat(stalled.session()).isSameAs(stuck));
    }

    /**
     * Every worker in rotation falls quiet at once (no heartbeat echo: the director's host or network is the likelier
     * cause), and one of them also has a stream its client holds back. Its stuck stream must be held with the rest,
     * as the class says ("when every worker in rotation is silent at once, their hangs are held until the policy's
     * longer limit"); the held-back stream says nothing about the worker, so it must not turn the hold into a move.
     */
    @Test
    void aHeldBackStreamDoesNotMoveTheStuckStreamsOfAWorkerWhileEveryWorkerIsQuiet() {
        WorkerEndpoint otherFixedPace = worker("stand-in-c", 62004, Duration.ofMillis(50));
        for (WorkerEndpoint worker : List.of(fixedPace, otherFixedPace)) {
            RelaySession session = open(worker);
            session.fromWorker(TestFrames.frame(new Connected(worker.label(), "conn-1", 1, "g", 0, "m")));
            session.fromWorker(TestFrames.frame(new Token(1, "a")));
        }
        RelaySession heldBack = open(fixedPace);
        clients.get(2).writable = false; // its client reads slowly
        heldBack.fromWorker(TestFrames.frame(new Token(1, "a")));
        long stopped = now;
        fixedPace.echoed(stopped + ms(80));
        otherFixedPace.echoed(stopped + ms(90));
        List<WorkerEndpoint> inRotation = List.of(fixedPace, otherFixedPace);
        now = stopped + ms(301); // streams silent for 301 ms (limit 300), the workers quiet for 211-221 ms

        assertThat(watch.decide(now, sessions, inRotation))
                .as("every worker is quiet: both are held, none of their streams moves")
                .singleElement().isInstanceOfSatisfying(StallWatch.HangsHeld.class,
                        held -> assertThat(held.workers()).containsExactlyInAnyOrder(fixedPace, otherFixedPace));
    }

    @Test
    void aFixedPaceWorkerKeepsTodaysPerStreamLimits() {
        RelaySession silent = open(fixedPace);
        RelaySession flowing = open(fixedPace);
        silent.fromWorker(TestFrames.frame(new Token(1, "a")));
        flowing.fromWorker(TestFrames.frame(new Token(1, "a")));
        for (int sequence = 2; sequence <= 6; sequence++) {
            now += ms(50);
            fixedPace.echoed(now);
            flowing.fromWorker(TestFrames.frame(new Token(sequence, " t")));
        }
        assertThat(watch.decide(now, sessions, List.of())).as("250 ms silent: within 3 x 50 ms, at least 300 ms").isEmpty();
        now += ms(60);
        fixedPace.echoed(now);
        flowing.fromWorker(TestFrames.frame(new Token(7, " t")));
        assertThat(watch.decide(now, sessions, List.of())).singleElement().isInstanceOfSatisfying(StallWatch.StreamStalled.class,
                stalled -> assertThat(stalled.session()).isSameAs(silent));

        now += ms(310);
        fixedPace.echoed(now); // alive, but silent on every stream: its model is stuck
        assertThat(watch.decide(now, sessions, List.of())).singleElement().isInstanceOf(StallWatch.WorkerStalled.class);
    }

    @Test
    void aNewStreamOfAFixedPaceWorkerHasTheFirstTokenAllowance() {
        RelaySession session = open(fixedPace);
        // a burst of new streams on a loaded worker: seconds without CONNECTED, but its heartbeat answers
        advanceWithHeartbeats(ms(29_900), fixedPace);
        assertThat(session.relaying()).isTrue();
        now += ms(200);
        fixedPace.echoed(now);
        assertThat(watch.decide(now, sessions, List.of())).singleElement().isInstanceOfSatisfying(StallWatch.WorkerStalled.class,
                stalled -> assertThat(stalled.detail()).contains("no answer to the hand-off"));
    }

    /** Moves the clock on with a heartbeat echo every 100 ms and the watch every 150 ms, failing on any decision. */
    private void advanceWithHeartbeats(long nanos, WorkerEndpoint worker) {
        long end = now + nanos;
        long nextEcho = now + ms(100);
        long nextWatch = now + WATCH_PERIOD;
        while (Math.min(nextEcho, nextWatch) <= end) {
            if (nextEcho <= nextWatch) {
                now = nextEcho;
                worker.echoed(now);
                nextEcho += ms(100);
            } else {
                now = nextWatch;
                assertThat(watch.decide(now, sessions, List.of())).as("decisions at +%d ms", TimeUnit.NANOSECONDS.toMillis(now - start))
                        .isEmpty();
                nextWatch += WATCH_PERIOD;
            }
        }
        now = end;
    }

    private RelaySession open(WorkerEndpoint worker) {
        FakeClient client = new FakeClient();
        clients.add(client);
        RelaySession session = new RelaySession(sessions.size() + 1, "conn-1", client,
                GenerationRequest.completion("g-" + sessions.size(), "prompt", 1000), worker, NO_EVENTS, 3, () -> now);
        session.workerStreamOpened(new FakeWorker());
        sessions.add(session);
        return session;
    }

    private WorkerEndpoint worker(String label, int port, Duration tokenInterval) {
        WorkerEndpoint worker = new WorkerEndpoint(label, new HostPort("127.0.0.1", port),
                URI.create("http://127.0.0.1:1/actuator/health"), tokenInterval, "i-" + port, "127.0.0.1",
                WorkerSource.REGISTRATION, List.of("m"));
        worker.heardFrom(now);
        worker.echoed(now);
        return worker;
    }

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private static final SessionEvents NO_EVENTS = new SessionEvents() {
        @Override
        public void sessionEnded(RelaySession session) {
        }

        @Override
        public void swapped(RelaySession session, String reason) {
        }

        @Override
        public void migrationLimitReached(RelaySession session, String reason) {
        }

        @Override
        public void requestFailed(RelaySession session, ErrorCode code) {
        }

        @Override
        public void workerDraining(RelaySession session, String detail) {
        }

        @Override
        public void generationFinished(RelaySession session, io.connectionswap.director.metrics.DirectorMeters.Finish finish) {
        }

        @Override
        public void tokenRelayed(RelaySession session, boolean firstOfSession) {
        }
    };
}
