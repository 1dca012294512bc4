package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.director.registry.PollResult;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The director's SLO meters through the real {@link Relay} and {@link WorkerRegistry} ({@link RelayFixture}): streams
 * started (new or resumed), time to first token (once per generation, across a swap before the first token), the swap
 * gap and generations by finish reason (from the END frame).
 */
class RelayMetersTest extends RelayFixture {

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

    /** Count and total in ms of the time-to-first-token timer. */
    private List<Double> firstTokens() {
        io.micrometer.core.instrument.Timer timer = meterRegistry.get("connection.swap.time.to.first.token").timer();
        return List.of((double) timer.count(), timer.totalTime(TimeUnit.MILLISECONDS));
    }

    private double streamsStarted(String kind) {
        return meterRegistry.get("connection.swap.streams.started").tag("kind", kind).counter().count();
    }
}
