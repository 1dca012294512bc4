package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import java.util.function.BooleanSupplier;

/**
 * A generation's current leg: opens it on the transport, passes its events to the generation while it is the current
 * one and the generation has not finished (those of an earlier leg are dropped), waits for the director's first answer
 * on it ({@link RetryWaits.AnswerWait}), and turns its reading on and off. Loop-confined, like its
 * {@link GenerationRun}.
 */
final class CurrentLeg {

    private final Transport transport;
    private final RetryWaits waits;
    private final GenerationRun run;
    /** Whether {@link #run} has ended: its events are dropped then. */
    private final GenerationEnd end;
    private Callbacks current;

    CurrentLeg(Transport transport, RetryWaits waits, GenerationRun run, GenerationEnd end) {
        this.transport = transport;
        this.waits = waits;
        this.run = run;
        this.end = end;
    }

    /** Opens a leg for {@code request}, reading off from the start if the subscriber is {@code paused}. */
    void open(GenerationRequest request, BooleanSupplier paused) {
        Callbacks callbacks = new Callbacks();
        current = callbacks;
        callbacks.leg = transport.open(request, callbacks);
        if (current == callbacks) {
            callbacks.answer.start();
            if (paused.getAsBoolean()) {
                callbacks.leg.read(false);
            }
        }
    }

    /** Ends the current leg from our side (its further events are dropped), if there is one. */
    void stop() {
        if (current != null) {
            Callbacks stopped = current;
            current = null;
            stopped.answer.answered();
            if (stopped.leg != null) {
                stopped.leg.cancel();
            }
        }
    }

    /** The current leg's last event came: there is no current leg until the next opens. */
    void ended() {
        current = null;
    }

    /** Reading on the current leg on or off. */
    void read(boolean enabled) {
        if (current != null && current.leg != null) {
            current.leg.read(enabled);
        }
    }

    /** The subscriber reads again: the current leg's wait for the director's answer, if running, starts again. */
    void restartAnswerWait() {
        if (current != null) {
            current.answer.restart();
        }
    }

    /** Events of one leg; those of a leg that is no longer current are dropped. */
    private final class Callbacks implements LegEvents {
        Leg leg;
        /** Ends the generation if the director answers this leg with nothing. */
        final RetryWaits.AnswerWait answer = waits.answerWait(() -> current == this && !end.isFinished(),
                () -> leg != null && leg.waitingForStream());

        private boolean current() {
            answer.answered();
            return current == this && !end.isFinished();
        }

        @Override
        public void assigned(Connected connected) {
            if (current()) {
                run.assigned(connected);
            }
        }

        @Override
        public void token(Token token) {
            if (current()) {
                run.token(token);
            }
        }

        @Override
        public void ended(End end) {
            if (current()) {
                run.ended(end);
            }
        }

        @Override
        public void retry(Retry retry) {
            if (current()) {
                run.retry(retry);
            }
        }

        @Override
        public void refused(StreamError error) {
            if (current()) {
                run.refused(error);
            }
        }

        @Override
        public void broken(String problem) {
            if (current()) {
                run.broken(problem);
            }
        }
    }
}
