package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.retry.Backoff;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * One generation's waits between legs: it owns the clocks (since when no worker answered or no connection was up,
 * since when streams keep breaking, since when the subscriber holds reading back), the backoff and the one pending
 * retry, and tells its generation when to open the next leg and when a wait ({@code noWorkerWait}) has run out.
 * Loop-confined, like its {@link GenerationRun}.
 */
final class RetryWaits {

    /**
     * The shortest wait for the director's first answer on a stream, and for the next connection after the first break
     * since the last token found the connection lost, or its director leaving (a drain: {@link #directorLeaving})
     * ({@link #floor}: twice the heartbeat timeout when that is longer).
     * A short or zero {@code noWorkerWait} means no wait for a worker (the gateway's 503 at once), not that a director
     * must answer within it or that a stream is given up at the first network break. A director answers within a round
     * trip and its worker's hand-off, and a stream on a connection that died silently is resumed on the next one once
     * the heartbeat timeout (3.5 s by default) found it lost. After a lost connection the client dials the next address
     * at once and then with its backoff (100 ms doubling, up to 5 s): 10 s leave room for up to seven dials when each
     * fails fast (fewer when a dial waits out its handshake timeout at an address that does not answer), enough to
     * reach another replica or a director restarted behind one address, while a caller that chose a zero wait hears
     * of a connection that does not come back within seconds, not after the builder's default wait.
     */
    static final Duration WAIT_FLOOR = Duration.ofSeconds(10);

    /** What the waits ask of their generation. */
    interface Run {
        /** The time for the next leg has come: the backoff is over, or the connection is back. */
        void openLeg();

        /** Whether the generation has ended for good. */
        boolean finished();

        /** A wait ran out: the generation ends with {@code code}. */
        void fail(ErrorCode code, String detail);
    }

    /** Where a refusal that asks the client to wait (no worker, shutting down, overloaded) leaves the wait. */
    enum Refusal {
        /** The first refusal of this wait. */
        STARTED,
        /** A further refusal of a wait that still has time. */
        GOING_ON,
        /** The wait has run out. */
        OVER
    }

    private final ClientLoop loop;
    private final Transport transport;
    /** How long the generation waits for a worker; null: for ever. */
    private final Duration noWorkerWait;
    private final Backoff backoff;
    private final Run run;

    private ClientLoop.Cancellable pendingRetry;
    /** When refusals or a lost connection began the wait for a worker, or -1. */
    private long waitingSinceNanos = -1;
    /** When the first stream broke since the last token (or the start), or -1: see {@link #retryWithinWait}. */
    private long brokenSinceNanos = -1;
    /** Streams broken since the last token (or the start), a lost connection included. */
    private int breaksSinceToken;
    /**
     * When the generation's director was first found leaving since the last token (its drain's RETRY, a SHUTTING_DOWN
     * refusal of a resume), or -1: see {@link #directorLeaving}.
     */
    private long leavingSinceNanos = -1;
    /** Whether a worker took the generation since the director was last found leaving ({@link #directorLeaving}). */
    private boolean assignedSinceDrain;
    /** When the subscriber's full queue stopped reading; -1 while reading. */
    private long heldBackSinceNanos = -1;

    RetryWaits(ClientLoop loop, Transport transport, Duration noWorkerWait, Backoff backoff, Run run) {
        this.loop = loop;
        this.transport = transport;
        this.noWorkerWait = noWorkerWait;
        this.backoff = backoff;
        this.run = run;
    }

    /** An in-order token came: every wait is over and the backoff starts again. */
    void tokenArrived() {
        backoff.reset();
        waitingSinceNanos = -1;
        brokenSinceNanos = -1;
        breaksSinceToken = 0;
        leavingSinceNanos = -1;
    }

    /** A worker took the stream: the wait for one is over. */
    void workerAssigned() {
        waitingSinceNanos = -1;
        assignedSinceDrain = true;
    }

    /** The subscriber's full queue stopped reading at {@code nowNanos}. */
    void holdBack(long nowNanos) {
        heldBackSinceNanos = nowNanos;
    }

    /** The subscriber reads again: since when reading was held back, or -1 if it was not. */
    long readAgain() {
        long since = heldBackSinceNanos;
        heldBackSinceNanos = -1;
        return since;
    }

    /** A leg opens now: the retry that asked for it, if any, is done. */
    void legOpening() {
        pendingRetry = null;
    }

    /** Calls off the pending retry (or the wait for the connection), if any. */
    void cancelRetry() {
        if (pendingRetry != null) {
            ClientLoop.Cancellable retry = pendingRetry;
            pendingRetry = null;
            retry.cancel();
        }
    }

    /** The longest the next backoff may be. */
    Duration backoffCeiling() {
        return backoff.ceiling();
    }

    /**
     * Opens the next leg once the connection is up again; fails the generation if it is not within the wait, or
     * within the {@link #floor} from the first break since the last token while the generation resumes from that break
     * (it is always resumed once, a lost connection and a director's drain included). A wait that is over when this
     * begins fails the generation as the loop runs next, whether or not a connection came up meanwhile.
     */
    void awaitConnection() {
        long now = loop.nanoTime();
        if (waitingSinceNanos < 0) {
            waitingSinceNanos = now;
        }
        Long remaining = remainingWaitNanos();
        if (remaining == null) {
            pendingRetry = transport.awaitConnection(() -> {
                cancelRetry();
                run.openLeg();
            });
            return;
        }
        long floorFrom = floorFromNanos();
        Duration floor = floorFrom >= 0 ? floor() : Duration.ZERO;
        long floorLeft = floorFrom >= 0 ? Math.max(0, floorFrom + floor.toNanos() - now) : 0;
        Duration wait = floorLeft > remaining ? floor : noWorkerWait;
        long left = Math.max(remaining, floorLeft);
        // a wait already over waits for no connection: the next one (a redial read before the loop runs the timeout,
        // when the loop is held up) does not resume the generation, however fast it comes
        ClientLoop.Cancellable wish = left == 0 ? () -> { } : transport.awaitConnection(() -> {
            cancelRetry();
            run.openLeg();
        });
        ClientLoop.Cancellable timeout = loop.schedule(() -> {
            wish.cancel();
            if (!run.finished() && (left == 0 || !transport.isConnected())) {
                String problem = transport.connectionProblem();
                run.fail(ErrorCode.NO_HEALTHY_WORKER, "no connection to a director within "
                        + wait + (problem == null ? "" : ": " + problem));
            }
        }, left);
        pendingRetry = () -> {
            wish.cancel();
            timeout.cancel();
        };
    }

    /**
     * The director refused the stream and asks the client to wait: starts the wait for a worker if this is its first
     * refusal, and says whether it has run out. The caller then fails or {@link #retryAfterBackoff retries}.
     */
    Refusal refused() {
        long now = loop.nanoTime();
        boolean firstRefusal = waitingSinceNanos < 0;
        if (firstRefusal) {
            waitingSinceNanos = now;
        }
        Long remaining = remainingWaitNanos();
        if (remaining != null && remaining == 0) {
            return Refusal.OVER;
        }
        return firstRefusal ? Refusal.STARTED : Refusal.GOING_ON;
    }

    /** Opens the next leg after the backoff, or when the wait for a worker ends if that is sooner. */
    void retryAfterBackoff() {
        Duration wait = backoff.next();
        Long remaining = remainingWaitNanos();
        long delay = remaining == null ? wait.toNanos() : Math.min(wait.toNanos(), remaining);
        pendingRetry = loop.schedule(run::openLeg, delay);
    }

    /**
     * The next leg after one that ended without serving the generation to its end: a broken stream, or one whose
     * tokens had a gap (a director answering every stream with a gap would otherwise be asked again in a tight loop).
     */
    void retryWithinWait(String problem) {
        // streams breaking one after another (no stream credit left, resets, CONNECTED then the end without a final
        // frame, sequence gaps, a lost connection) are bounded by the same wait as refusals: from the first break
        // since the last token, which is always resumed once (with a zero wait too: it is no wait for a worker), a lost
        // connection waited for at least the floor
        long now = loop.nanoTime();
        breaksSinceToken++;
        if (brokenSinceNanos < 0) {
            brokenSinceNanos = now;
        }
        if (!transport.isConnected()) {
            awaitConnection();
            return;
        }
        if (noWorkerWait != null && now - brokenSinceNanos > noWorkerWait.toNanos()) {
            run.fail(ErrorCode.NO_HEALTHY_WORKER, "no stream could be served within "
                    + noWorkerWait + "; the last one: " + problem);
            return;
        }
        // the whole backoff: the wait that caps a refusal's retry is not this one (with a zero wait it is always over)
        pendingRetry = loop.schedule(run::openLeg, backoff.next().toNanos());
    }

    /**
     * The generation's director is leaving: its RETRY director_drain moved the generation, a RETRY came while the
     * transport was leaving the connection (after the director's GOAWAY), or it refused a resume with SHUTTING_DOWN
     * (the transport then leaves its connection). The resume waits for the next connection at least the
     * {@link #floor}, with a zero wait too: a drain is no lack of workers. It is no break: a stream that then breaks
     * before its first token is still the first break since the last token, resumed once. The floor counts from this
     * sign when a worker took the generation since the previous one, however long after an earlier break or drain it
     * came (each such drain is a move of its own). Signs with no worker between them (a director draining every
     * resume before a worker answers, the refusals of one drain's resumes) keep the first one's start: the generation
     * does not wait for ever.
     */
    void directorLeaving() {
        if (leavingSinceNanos < 0 || assignedSinceDrain) {
            leavingSinceNanos = loop.nanoTime();
        }
        assignedSinceDrain = false;
    }

    /** Whether the generation's director was found leaving since the last token ({@link #directorLeaving}). */
    boolean directorLeft() {
        return leavingSinceNanos >= 0;
    }

    /**
     * Since when the {@link #floor} counts for the connection being waited for, or -1 when there is none: the first
     * break since the last token (the one always resumed) or the director's leaving (its last drain), the later.
     */
    private long floorFromNanos() {
        return Math.max(breaksSinceToken == 1 ? brokenSinceNanos : -1, leavingSinceNanos);
    }

    /**
     * A director refused the generation's resume with SHUTTING_DOWN ({@link #directorLeaving}): the next leg opens on
     * the next connection. On a connection still up (a transport that does not leave it) after the backoff, until the
     * wait, and at least the floor, from the director's first sign of leaving has run out.
     */
    void resumeRefusedByLeavingDirector(String problem) {
        directorLeaving();
        if (!transport.isConnected()) {
            awaitConnection();
            return;
        }
        long leaving = loop.nanoTime() - leavingSinceNanos;
        if (noWorkerWait != null && leaving >= max(floor(), noWorkerWait).toNanos()) {
            run.fail(ErrorCode.NO_HEALTHY_WORKER, "no director took the resume within "
                    + max(floor(), noWorkerWait) + "; the last one: " + problem);
            return;
        }
        pendingRetry = loop.schedule(run::openLeg, backoff.next().toNanos());
    }

    /** Time left to wait for a worker, null when unbounded. */
    private Long remainingWaitNanos() {
        if (noWorkerWait == null) {
            return null;
        }
        long waited = waitingSinceNanos < 0 ? 0 : loop.nanoTime() - waitingSinceNanos;
        return Math.max(0, noWorkerWait.toNanos() - waited);
    }

    /**
     * The wait for the director's answer to one leg; {@code waiting} says whether that leg is still waited on,
     * {@code streamWaiting} whether its stream still waits to open (the director's stream limit).
     */
    AnswerWait answerWait(BooleanSupplier waiting, BooleanSupplier streamWaiting) {
        return new AnswerWait(waiting, streamWaiting);
    }

    /**
     * A stream the director accepted but answers with nothing (no CONNECTED, RETRY or ERROR: a stuck director whose
     * connection still echoes heartbeats) is waited on no longer than the generation waits for a worker, and at least
     * the {@link #floor}; then the generation fails. The time the subscriber holds reading back (the answer may
     * wait unread) starts it again. So is a stream that waits that long to open at all (the director's limit of
     * streams per connection reached, and none ended), saying so.
     */
    final class AnswerWait {
        private final BooleanSupplier waiting;
        private final BooleanSupplier streamWaiting;
        private ClientLoop.Cancellable unanswered;

        private AnswerWait(BooleanSupplier waiting, BooleanSupplier streamWaiting) {
            this.waiting = waiting;
            this.streamWaiting = streamWaiting;
        }

        void start() {
            if (noWorkerWait == null) {
                return;
            }
            Duration wait = max(floor(), noWorkerWait);
            unanswered = loop.schedule(() -> {
                unanswered = null;
                if (!waiting.getAsBoolean()) {
                    return;
                }
                if (heldBackSinceNanos >= 0) {
                    start();
                    return;
                }
                run.fail(ErrorCode.NO_HEALTHY_WORKER, streamWaiting.getAsBoolean()
                        ? "no stream within " + wait + ": the director's limit of streams per connection "
                        + "(CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION) was reached and none ended"
                        : "the director answered the stream with nothing within " + wait);
            }, wait.toNanos());
        }

        /** A frame came for this leg, or it ended: no longer waiting for the director's answer. */
        void answered() {
            if (unanswered != null) {
                unanswered.cancel();
                unanswered = null;
            }
        }

        /** The subscriber reads again: a wait still running starts again. */
        void restart() {
            if (unanswered != null) {
                answered();
                start();
            }
        }
    }

    /** {@link #WAIT_FLOOR}, or twice the heartbeat timeout when that is longer. */
    private Duration floor() {
        return max(WAIT_FLOOR, transport.heartbeatTimeout().multipliedBy(2));
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
