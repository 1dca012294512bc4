package io.connectionswap.director.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerSource;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.director.tracing.LegOutcome;
import io.connectionswap.director.tracing.TestLegSpans;
import io.micrometer.tracing.Span;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/** The relay's decisions: what reaches the client, what is dropped, and what the RETRY says. */
class RelaySessionTest {

    private final FakeClient client = new FakeClient();
    private final FakeWorker workerSide = new FakeWorker();
    private final List<String> events = new ArrayList<>();
    private final List<RawFrame> sent = new ArrayList<>();
    private final WorkerEndpoint worker = new WorkerEndpoint("worker-a", new HostPort("127.0.0.1", 62001),
            URI.create("http://127.0.0.1:1/actuator/health"), Duration.ofMillis(50), "i-1", "127.0.0.1",
            WorkerSource.REGISTRATION, List.of("stand-in"));
    private final SessionEvents sessionEvents = new SessionEvents() {
        @Override
        public void sessionEnded(RelaySession session) {
            events.add("ended");
        }

        @Override
        public void swapped(RelaySession session, String reason) {
            events.add("swapped:" + reason);
        }

        @Override
        public void migrationLimitReached(RelaySession session, String reason) {
            events.add("migration-limit:" + reason);
        }

        @Override
        public void requestFailed(RelaySession session, ErrorCode code) {
            events.add("request-error:" + code);
        }

        @Override
        public void workerDraining(RelaySession session, String detail) {
            events.add("draining:" + detail);
        }

        @Override
        public void generationFinished(RelaySession session, DirectorMeters.Finish finish) {
            events.add("finished:" + finish.tag());
        }

        @Override
        public void tokenRelayed(RelaySession session, boolean firstOfSession) {
            events.add(firstOfSession ? "first-token" : "token");
        }
    };

    @AfterEach
    void everyFrameWasReleased() {
        client.relayed.forEach(ByteBuf::release); // what the client side took ownership of
        for (RawFrame frame : sent) {
            assertThat(frame.refCnt()).as("frame from the worker released").isZero();
        }
    }

    @Test
    void assignsTheGenerationFromWhereTheClientResumes() {
        GenerationRequest resume = GenerationRequest.completion("g-1", "prompt-1", 30)
                .resumedAfter(12, "twelve tokens of text", "worker-b");
        RelaySession session = session(resume);
        session.workerStreamOpened(workerSide);
        assertThat(workerSide.assignment).isEqualTo(new WorkerAssignment(7, "conn-1", resume));
    }

    @Test
    void relaysFramesAsTheyCameAndCountsTokens() {
        RelaySession session = relaying(0);
        session.fromWorker(frame(new Connected("worker-a", "conn-1", 7, "g-1", 0, "stand-in")));
        session.fromWorker(frame(new Token(1, "a")));
        session.fromWorker(frame(new Token(2, " b")));
        assertThat(client.decoded()).containsExactly(new Connected("worker-a", "conn-1", 7, "g-1", 0, "stand-in"),
                new Token(1, "a"), new Token(2, " b"));
        assertThat(events).containsExactly("first-token", "token");
    }

    @Test
    void swapTellsTheClientTheLastRelayedSequenceAndCancelsTheWorker() {
        RelaySession session = relaying(4);
        session.fromWorker(frame(new Token(5, " e")));
        session.fromWorker(frame(new Token(6, " f")));
        session.swap(SwapReason.HEALTH, "health poll http 503 DOWN");
        assertThat(workerSide.cancelled).isTrue();
        assertThat(client.retry).isEqualTo(new Retry("health", 6, "worker-a", "health poll http 503 DOWN"));
        assertThat(events).containsExactly("first-token", "token", "ended", "swapped:health");
    }

    @Test
    void lateTokensOfTheFailedWorkerAreDroppedNotRelayed() {
        RelaySession session = relaying(0);
        session.fromWorker(frame(new Token(1, "a")));
        session.swap(SwapReason.STALL, "no frame for 150 ms");
        int relayedBefore = client.relayed.size();
        session.fromWorker(frame(new Token(2, " b")));
        session.fromWorker(frame(new End("g-1", 2, FinishReason.LENGTH, null)));
        assertThat(client.relayed).hasSize(relayedBefore);
        assertThat(client.retry.lastSequence()).isEqualTo(1);
        session.swap(SwapReason.HEALTH, "second signal");
        assertThat(events).as("a session swaps once").containsOnlyOnce("swapped:stall").doesNotContain("swapped:health");
    }

    @Test
    void outOfOrderTokenFromTheWorkerIsAStreamError() {
        RelaySession session = relaying(3);
        session.fromWorker(frame(new Token(5, " skipped one")));
        assertThat(client.relayed).isEmpty();
        assertThat(client.retry.reason()).isEqualTo(SwapReason.STREAM_ERROR);
        assertThat(client.retry.lastSequence()).isEqualTo(3);
    }

    /**
     * A TOKEN frame whose payload is too short to hold its sequence number (a buggy or hostile worker): reading the
     * sequence threw IndexOutOfBoundsException out of fromWorker. On the worker's token stream that exception reached
     * the token stream's pipeline, which closes the whole link for it: every generation on the worker moved
     * (connection_lost), not just this one. The session now swaps with stream_error, as for any other bad token.
     */
    @Test
    void aTokenTooShortForItsSequenceIsAStreamErrorOfThatStreamAlone() {
        RelaySession session = relaying(2);
        session.fromWorker(rawFrame(FrameType.TOKEN, new byte[] {0, 3}));
        assertThat(client.relayed).as("nothing of the broken frame reaches the client").isEmpty();
        assertThat(client.retry.reason()).isEqualTo(SwapReason.STREAM_ERROR);
        assertThat(client.retry.lastSequence()).isEqualTo(2);
        assertThat(workerSide.cancelled).isTrue();
        assertThat(events).containsExactly("ended", "swapped:stream_error");
    }

    /**
     * An END frame the director cannot decode was relayed to the client as it came and counted as a finished
     * generation (error): the client cannot decode it either, so its leg broke on a bad frame from the director
     * instead of moving on cleanly. Like any other unreadable frame from a worker, it is now a stream error: nothing
     * reaches the client but a RETRY at the last relayed token, and the next worker ends the generation.
     */
    @Test
    void anUnreadableEndFromTheWorkerMovesTheGenerationInsteadOfReachingTheClient() {
        RelaySession session = relaying(0);
        session.fromWorker(frame(new Token(1, "a")));
        session.fromWorker(rawFrame(FrameType.END, "{not json".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(client.decoded()).containsExactly(new Token(1, "a"));
        assertThat(client.finished).as("the client's stream is not finished by an END it cannot read").isFalse();
        assertThat(client.retry.reason()).isEqualTo(SwapReason.STREAM_ERROR);
        assertThat(client.retry.lastSequence()).isEqualTo(1);
        assertThat(events).containsExactly("first-token", "ended", "swapped:stream_error");
    }

    /**
     * A worker that goes on past the request's maxTokens (a buggy model or an upstream that ignores max_tokens), each
     * token in sequence: the director relayed them all, so the client got more tokens than it asked for, and any later
     * move of the generation asked to resume after more tokens than maxTokens, which no GenerationRequest may say
     * (its constructor refuses resumeAfter > maxTokens): the generation could no longer move. A token past maxTokens
     * is now a stream error: not relayed, RETRY at the last token within the budget.
     */
    @Test
    void aTokenPastTheRequestsMaxTokensIsAStreamErrorNotRelayed() {
        RelaySession session = relaying(29); // maxTokens 30
        session.fromWorker(frame(new Token(30, " last")));
        session.fromWorker(frame(new Token(31, " one too many")));
        assertThat(client.decoded()).containsExactly(new Token(30, " last"));
        assertThat(client.retry).as("the worker overrunning maxTokens moved the generation").isNotNull();
        assertThat(client.retry.reason()).isEqualTo(SwapReason.STREAM_ERROR);
        assertThat(client.retry.lastSequence()).isEqualTo(30);
        assertThat(workerSide.cancelled).isTrue();
    }

    /**
     * A worker sends CONNECTED once, as the first frame of a leg. One that sends it again had each relayed: the client
     * library queued another "assigned" event for its subscriber each time (its worker and model taken from the
     * latest), and since every frame from the worker counts as a sign of life, a worker sending nothing but CONNECTED
     * frames was never found stalled: the generation stood still until the session's lifetime (1 h). A second
     * CONNECTED is now a stream error: not relayed, RETRY at the last relayed token.
     */
    @Test
    void aSecondConnectedFromTheWorkerIsAStreamErrorNotRelayed() {
        RelaySession session = relaying(0);
        Connected connected = new Connected("worker-a", "conn-1", 7, "g-1", 0, "stand-in");
        session.fromWorker(frame(connected));
        session.fromWorker(frame(new Token(1, "a")));
        session.fromWorker(frame(new Connected("worker-z", "conn-1", 7, "g-1", 0, "other-model")));
        assertThat(client.decoded()).containsExactly(connected, new Token(1, "a"));
        assertThat(client.retry).as("the repeated CONNECTED moved the generation").isNotNull();
        assertThat(client.retry.reason()).isEqualTo(SwapReason.STREAM_ERROR);
        assertThat(client.retry.lastSequence()).isEqualTo(1);
        assertThat(workerSide.cancelled).isTrue();
    }

    @Test
    void workerStreamEndingEarlyIsAStreamErrorOrALostConnection() {
        RelaySession session = relaying(0);
        session.workerStreamEnded("worker closed the stream before END");
        assertThat(client.retry.reason()).isEqualTo(SwapReason.STREAM_ERROR);

        FakeClient otherClient = new FakeClient();
        RelaySession other = new RelaySession(8, "conn-1", otherClient, GenerationRequest.completion("g-2", "p", 5),
                worker, sessionEvents, 3);
        FakeWorker deadWorker = new FakeWorker();
        other.workerStreamOpened(deadWorker);
        deadWorker.connectionActive = false;
        other.workerStreamEnded("stream closed");
        assertThat(otherClient.retry.reason()).isEqualTo(SwapReason.CONNECTION_LOST);
    }

    @Test
    void endCompletesTheSession() {
        RelaySession session = relaying(0);
        session.fromWorker(frame(new Token(1, "a")));
        session.fromWorker(frame(new End("g-1", 1, FinishReason.LENGTH, null)));
        assertThat(client.finished).isTrue();
        assertThat(workerSide.closed).isTrue();
        session.swap(SwapReason.HEALTH, "too late");
        assertThat(client.retry).isNull();
        assertThat(events).containsExactly("first-token", "ended", "finished:length");
    }

    @Test
    void theEndFramesFinishReasonIsCountedOnceAndTheFrameRelayedAsItCame() {
        RelaySession stopped = relaying(0);
        End end = new End("g-1", 0, FinishReason.STOP, new io.connectionswap.protocol.message.Usage(3, 0));
        stopped.fromWorker(frame(end));
        assertThat(client.decoded()).containsExactly(end);
        assertThat(events).containsExactly("ended", "finished:stop");

        // a finish reason this director does not know (a newer worker) is "stop", as FinishReason.fromWire says
        events.clear();
        FakeClient newer = new FakeClient();
        RelaySession unknown = new RelaySession(8, "conn-1", newer, GenerationRequest.completion("g-2", "p", 5), worker,
                sessionEvents, 3);
        unknown.workerStreamOpened(new FakeWorker());
        unknown.fromWorker(frame(new End("g-2", 0, "content_filter", null)));
        assertThat(events).containsExactly("ended", "finished:stop");
        newer.relayed.forEach(ByteBuf::release);
    }

    @Test
    void aSwapIsNoFinishAndAClientThatLeftIsNone() {
        RelaySession swapped = relaying(0);
        swapped.swap(SwapReason.HEALTH, "down");
        FakeClient leaving = new FakeClient();
        RelaySession left = new RelaySession(8, "conn-1", leaving, GenerationRequest.completion("g-2", "p", 5), worker,
                sessionEvents, 3);
        left.workerStreamOpened(new FakeWorker());
        left.clientGone();
        assertThat(events).containsExactly("ended", "swapped:health", "ended");
    }

    @Test
    void aRequestFaultFromTheWorkerIsTheClientsFinalErrorNotASwap() {
        RelaySession session = relaying(0);
        session.fromWorker(frame(new Token(1, "a")));
        StreamError refusal = new StreamError(ErrorCode.REQUEST_TOO_LARGE, "ASSIGNMENT frame of 5242880 bytes exceeds the limit");
        session.fromWorker(frame(refusal));
        assertThat(client.retry).as("no RETRY").isNull();
        assertThat(client.decoded()).containsExactly(new Token(1, "a"), refusal);
        assertThat(client.finished).isTrue();
        assertThat(workerSide.closed).isTrue();
        assertThat(events).containsExactly("first-token", "ended", "request-error:REQUEST_TOO_LARGE", "finished:error");
        assertThat(worker.state()).as("never held against the worker").isEqualTo(io.connectionswap.director.registry.WorkerState.PENDING);
        session.swap(SwapReason.HEALTH, "too late");
        assertThat(client.retry).isNull();
    }

    @Test
    void everyRequestFaultCodeIsFinalAndEveryOtherErrorSwaps() {
        for (ErrorCode code : ErrorCode.values()) {
            FakeClient codeClient = new FakeClient();
            RelaySession session = new RelaySession(9, "conn-1", codeClient, GenerationRequest.completion("g-" + code, "p", 5),
                    worker, sessionEvents, 3);
            session.workerStreamOpened(new FakeWorker());
            session.fromWorker(frame(new StreamError(code, "problem")));
            if (code.isRequestFault()) {
                assertThat(codeClient.retry).as(code + " is final").isNull();
                assertThat(codeClient.finished).isTrue();
            } else {
                assertThat(codeClient.retry).as(code + " swaps").isNotNull();
                assertThat(codeClient.retry.reason()).isEqualTo(code == ErrorCode.SHUTTING_DOWN ? SwapReason.DRAIN
                        : SwapReason.STREAM_ERROR);
            }
            codeClient.relayed.forEach(ByteBuf::release);
        }
    }

    @Test
    void aWorkerRefusingAHandOffBecauseItDrainsIsADrain() {
        RelaySession session = relaying(0);
        session.fromWorker(frame(new StreamError(ErrorCode.SHUTTING_DOWN, "worker-a is draining")));
        assertThat(client.retry.reason()).isEqualTo(SwapReason.DRAIN);
        assertThat(client.retry.lastSequence()).isZero();
        assertThat(client.retry.detail()).isEqualTo("worker refused the hand-off while draining: worker-a is draining");
        assertThat(workerSide.cancelled).isTrue();
        assertThat(events).containsExactly("ended", "swapped:drain",
                "draining:worker refused the hand-off while draining: worker-a is draining");
    }

    /**
     * A worker whose drain timed out ends the generations it still runs with SHUTTING_DOWN behind their tokens: a drain
     * too, the generation moving at its last token, but a generation it accepted and cut, not a refused hand-off.
     */
    @Test
    void aWorkerWhoseDrainTimedOutMidGenerationIsADrainThatCutTheGenerationNotARefusal() {
        RelaySession session = relaying(0);
        session.fromWorker(frame(new Connected("worker-a", "conn-1", 7, "g-1", 0, "stand-in")));
        session.fromWorker(frame(new Token(1, "a")));
        session.fromWorker(frame(new Token(2, " b")));
        session.fromWorker(frame(new StreamError(ErrorCode.SHUTTING_DOWN,
                "worker-a drain timed out; the generation moves")));
        String detail = "worker's drain timed out mid-generation: worker-a drain timed out; the generation moves";
        assertThat(client.retry).isEqualTo(new Retry("drain", 2, "worker-a", detail));
        assertThat(workerSide.cancelled).isTrue();
        assertThat(events).containsExactly("first-token", "token", "ended", "swapped:drain", "draining:" + detail);
    }

    @Test
    void anyOtherWorkerErrorIsAStreamError() {
        RelaySession session = relaying(2);
        session.fromWorker(frame(new StreamError(ErrorCode.UPSTREAM_FAILED, "upstream answered 502")));
        assertThat(client.retry).isEqualTo(new Retry("stream_error", 2, "worker-a",
                "worker ended stream: UPSTREAM_FAILED upstream answered 502"));
    }

    @Test
    void aGenerationThatMovedAsOftenAsAllowedEndsWithMigrationLimitInsteadOfRetry() {
        GenerationRequest moved = GenerationRequest.completion("g-1", "prompt-1", 30)
                .resumedAfter(3, "abc", "worker-b").resumedAfter(4, "abcd", "worker-c").resumedAfter(5, "abcde", "worker-b");
        assertThat(moved.migrations()).isEqualTo(3);
        RelaySession session = new RelaySession(7, "conn-1", client, moved, worker, sessionEvents, 3);
        session.workerStreamOpened(workerSide);
        session.swap(SwapReason.STREAM_ERROR, "worker ended stream: UPSTREAM_FAILED 502");
        assertThat(client.retry).isNull();
        assertThat(client.error.code()).isEqualTo(ErrorCode.MIGRATION_LIMIT);
        assertThat(client.error.message()).contains("CONNECTION_SWAP_MIGRATION_LIMIT=3")
                .contains("moved 3 times").contains("stream_error on worker-a: worker ended stream: UPSTREAM_FAILED 502");
        assertThat(workerSide.cancelled).isTrue();
        assertThat(events).containsExactly("ended", "migration-limit:stream_error", "finished:error");
    }

    /**
     * A worker that drains (a rolling update, a scale-down) is no failure of the generation: it moves on at the limit
     * too, or a generation that met a few failures and then a routine restart ended with MIGRATION_LIMIT. The client
     * does not count such a move either. Limit 0 still never moves it.
     */
    @Test
    void aWorkerThatDrainsMovesTheGenerationEvenAtTheLimitButNotWithLimitZero() {
        GenerationRequest moved = GenerationRequest.completion("g-1", "prompt-1", 30)
                .resumedAfter(3, "abc", "worker-b").resumedAfter(4, "abcd", "worker-c").resumedAfter(5, "abcde", "worker-b");
        RelaySession session = new RelaySession(7, "conn-1", client, moved, worker, sessionEvents, 3);
        session.workerStreamOpened(workerSide);
        session.swap(SwapReason.DRAIN, "worker is draining: shutdown");
        assertThat(client.error).isNull();
        assertThat(client.retry).isEqualTo(new Retry("drain", 5, "worker-a", "worker is draining: shutdown"));

        FakeClient neverMoves = new FakeClient();
        RelaySession fresh = new RelaySession(8, "conn-1", neverMoves, GenerationRequest.completion("g-2", "p", 5), worker,
                sessionEvents, 0);
        fresh.workerStreamOpened(new FakeWorker());
        fresh.swap(SwapReason.DRAIN, "worker is draining: shutdown");
        assertThat(neverMoves.retry).isNull();
        assertThat(neverMoves.error.code()).isEqualTo(ErrorCode.MIGRATION_LIMIT);
    }

    @Test
    void belowTheLimitTheGenerationMovesAndLimitZeroNeverMovesIt() {
        GenerationRequest once = GenerationRequest.completion("g-1", "prompt-1", 30).resumedAfter(2, "ab", "worker-b");
        RelaySession session = new RelaySession(7, "conn-1", client, once, worker, sessionEvents, 2);
        session.workerStreamOpened(workerSide);
        session.swap(SwapReason.HEALTH, "down");
        assertThat(client.retry).isNotNull();

        FakeClient neverMoves = new FakeClient();
        RelaySession fresh = new RelaySession(8, "conn-1", neverMoves, GenerationRequest.completion("g-2", "p", 5), worker,
                sessionEvents, 0);
        fresh.workerStreamOpened(new FakeWorker());
        fresh.swap(SwapReason.CONNECTION_LOST, "gone");
        assertThat(neverMoves.retry).isNull();
        assertThat(neverMoves.error.code()).isEqualTo(ErrorCode.MIGRATION_LIMIT);
        assertThat(neverMoves.error.message()).contains("never move").contains("CONNECTION_SWAP_MIGRATION_LIMIT=0");
    }

    @Test
    void slowClientPausesReadingFromTheWorker() {
        RelaySession session = relaying(0);
        client.writable = false;
        session.fromWorker(frame(new Token(1, "a")));
        assertThat(workerSide.reading).isFalse();
        client.writable = true;
        session.clientWritable(true);
        assertThat(workerSide.reading).isTrue();
    }

    /**
     * A worker that goes on sending after the director held it back for a slow client: on a worker's token stream
     * the hold is only a PAUSE message, which a buggy or hostile worker ignores. Every frame was written to the
     * client's stream all the same, so the director's memory for that one stream grew without bound for as long as
     * the client read now and then (the slow-client rule only cuts a client that reads nothing). The director now
     * holds at most twice a worker stream's flow-control window after the hold (what a worker that honours it can
     * still have in flight, with room), then moves the generation: a stream_error swap at the last relayed token.
     */
    @Test
    void aWorkerThatIgnoresBeingHeldBackMovesTheGenerationBeforeTheDirectorHoldsMoreThanItsBound() {
        RelaySession session = relayingLongGeneration();
        client.writable = false;
        String text = "x".repeat(900);
        int sent = 0;
        while (client.retry == null && sent < 4000) {
            session.fromWorker(frame(new Token(++sent, text)));
        }
        // the first frame is written as it finds the client full, and the hold starts with it
        long held = client.relayed.stream().skip(1).mapToLong(ByteBuf::readableBytes).sum();
        assertThat(held).as("bytes written during the hold to a client that cannot take them")
                .isLessThanOrEqualTo(2 * io.connectionswap.protocol.quic.QuicSettings.DEFAULTS.maxStreamData());
        assertThat(client.retry).as("the worker ignoring its hold moved the generation").isNotNull();
        assertThat(client.retry.reason()).isEqualTo(SwapReason.STREAM_ERROR);
        assertThat(client.retry.detail()).contains("while held back");
        assertThat(client.retry.lastSequence()).isEqualTo(client.relayed.size());
        assertThat(workerSide.cancelled).isTrue();
    }

    /**
     * A worker held back that honours it, then the client reading again: no bound is reached however much the whole
     * generation carries, since what counts is only what came while the client could not take it.
     */
    @Test
    void aClientThatReadsAgainResetsWhatTheWorkerMaySendWhileHeld() {
        RelaySession session = relayingLongGeneration();
        String text = "x".repeat(900);
        for (int i = 1; i <= 4000; i++) {
            client.writable = i % 100 != 0; // held back every hundredth token, then writable again at once
            session.fromWorker(frame(new Token(i, text)));
            if (!client.writable) {
                client.writable = true;
                session.clientWritable(true);
            }
        }
        assertThat(client.retry).isNull();
        assertThat(client.relayed).hasSize(4000);
    }

    /**
     * A relayed write can end the session from inside itself: on a QUIC stream the client stopped (STOP_SENDING), Netty
     * fails the write at once with ChannelOutputShutdownException, which the write's void promise fires into the client
     * stream's pipeline, where ClientStreamHandler.exceptionCaught calls clientGone (worker stream cancelled: FIN,
     * reading switched back on so the worker's FIN is consumed) and aborts the client stream. Back in
     * ClientBackPressure.relay the aborted stream reads as not writable, and the session pauses the worker stream it
     * has just cancelled: with a stream per generation that is autoRead off again (the worker's FIN and late frames
     * stay unread until the 10 s linger resets the stream), and the token is counted as relayed (swap gap, tokens,
     * first token) though the leg had ended.
     */
    @Test
    void aClientGoneDuringTheRelayedWriteLeavesTheCancelledWorkerStreamReading() {
        List<String> workerCalls = new ArrayList<>();
        WorkerSide workerStream = new WorkerSide() {
            @Override
            public void assign(WorkerAssignment assignment) {
            }

            @Override
            public void cancel() {
                workerCalls.add("cancel");
            }

            @Override
            public void close() {
                workerCalls.add("close");
            }

            @Override
            public void read(boolean enabled) {
                workerCalls.add("read:" + enabled);
            }

            @Override
            public boolean connectionActive() {
                return true;
            }
        };
        RelaySession[] self = new RelaySession[1];
        ClientSide stoppedReading = clientWhoseWritesFail(self, true);
        RelaySession session = new RelaySession(7, "conn-1", stoppedReading,
                GenerationRequest.completion("g-1", "prompt-1", 30), worker, sessionEvents, 3);
        self[0] = session;
        session.workerStreamOpened(workerStream);

        session.fromWorker(frame(new Token(1, "a")));

        assertThat(workerCalls).as("the worker stream is cancelled once and not paused after that").containsExactly(
                "cancel");
        assertThat(events).as("a token the client never got is not counted once the leg ended").containsExactly(
                "ended");
    }

    /**
     * README, connection_swap_generations_total: "Not counted: ... a client that left". The session's other endings
     * honour that (swap() checks client.isActive() before counting a MIGRATION_LIMIT error; an END whose relayed write
     * finds the client gone ends the leg in clientGone before complete() counts it), but a worker's request-fault ERROR
     * counted finish_reason="error" before anything looked at the client: a client that cancelled (its stream closed,
     * STOP_SENDING) while the worker was refusing the request was counted as a failed generation, inflating the error
     * ratio the README's dashboards and alerts are built on.
     */
    @Test
    void aRequestFaultForAClientThatLeftIsNotCountedAsAFailedGeneration() {
        RelaySession[] self = new RelaySession[1];
        ClientSide gone = clientWhoseWritesFail(self, false);
        RelaySession session = new RelaySession(7, "conn-1", gone, GenerationRequest.completion("g-1", "prompt-1", 30),
                worker, sessionEvents, 3);
        self[0] = session;
        session.workerStreamOpened(workerSide);

        session.fromWorker(frame(new StreamError(ErrorCode.BAD_REQUEST, "the model cannot serve these parameters")));

        assertThat(events).as("a client that left: no generation counted").doesNotContain("finished:error");
    }

    @Test
    void aDirectorDrainEndsTheLegsSpanAsTheDirectorStopping() {
        Span span = mock(Span.class);
        RelaySession session = new RelaySession(7, "conn-1", client, GenerationRequest.completion("g-1", "p", 30),
                worker, sessionEvents, 3, TestLegSpans.of(span));
        session.workerStreamOpened(workerSide);
        session.fromWorker(frame(new Token(1, "a")));

        // the drain removes the session from the relay (events: "ended"), so Relay.stop never calls its
        // directorStopping: the drain itself ends the span
        assertThat(session.directorDraining("director-1 is draining")).isTrue();

        verify(span).tag("outcome", LegOutcome.DIRECTOR_STOPPING.tag());
        verify(span).tag("last.seq", 1);
        verify(span, times(1)).end();
        assertThat(client.retry).isEqualTo(new Retry(Retry.DIRECTOR_DRAIN, 1, "worker-a", "director-1 is draining"));
    }

    private RelaySession relaying(int resumeAfter) {
        GenerationRequest request = GenerationRequest.completion("g-1", "prompt-1", 30);
        RelaySession session = session(resumeAfter == 0 ? request
                : request.resumedAfter(resumeAfter, "x".repeat(resumeAfter), null));
        session.workerStreamOpened(workerSide);
        return session;
    }

    /** A session relaying a new generation of up to 5 000 tokens, room for floods. */
    private RelaySession relayingLongGeneration() {
        RelaySession session = session(GenerationRequest.completion("g-1", "prompt-1", 5000));
        session.workerStreamOpened(workerSide);
        return session;
    }

    private RelaySession session(GenerationRequest request) {
        return new RelaySession(7, "conn-1", client, request, worker, sessionEvents, 3);
    }

    /** A frame of {@code type} carrying {@code payload} as it is, through the frame decoder. */
    private RawFrame rawFrame(FrameType type, byte[] payload) {
        ByteBuf bytes = ByteBufAllocator.DEFAULT.buffer().writeByte(type.code()).writeInt(payload.length)
                .writeBytes(payload);
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(FrameLimits.uniform(1024)));
        decoder.writeInbound(bytes);
        RawFrame frame = decoder.readInbound();
        decoder.finish();
        sent.add(frame);
        return frame;
    }

    private RawFrame frame(Message message) {
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(FrameLimits.uniform(1024)));
        decoder.writeInbound(MessageCodec.encode(ByteBufAllocator.DEFAULT, message));
        RawFrame frame = decoder.readInbound();
        decoder.finish();
        sent.add(frame);
        return frame;
    }

    /**
     * A client stream whose writes fail (it stopped reading, STOP_SENDING, or is closed): a write releases its frame,
     * as Netty does for a failed write, and the failure reaches the session as {@code clientGone}, as through
     * exceptionCaught. {@code openAtFirst}: active until that first write.
     */
    private static ClientSide clientWhoseWritesFail(RelaySession[] session, boolean openAtFirst) {
        return new ClientSide() {
            private boolean open = openAtFirst;

            @Override
            public boolean isActive() {
                return open;
            }

            @Override
            public boolean isWritable() {
                return open;
            }

            @Override
            public void relay(ByteBuf frame) {
                frame.release();
                open = false;
                session[0].clientGone();
            }

            @Override
            public void retry(Retry retry) {
            }

            @Override
            public void finish() {
            }

            @Override
            public void fail(StreamError error) {
            }

            @Override
            public void abort(ErrorCode code) {
            }

            @Override
            public RepeatedProblems.Occurrence problem(Logger log, Object kind) {
                return new RepeatedProblems.Occurrence(true, 0, Level.WARN);
            }
        };
    }
}
