package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;

/**
 * A leg's events as its connection's link passes them on: a stream refused with SHUTTING_DOWN tells the link first
 * ({@code leaving}) that this connection's director is going away, as its GOAWAY does (which may come after the
 * refusal, on the control stream, or not at all), so that the generation, told next, finds the connection leaving and
 * waits for the next one instead of opening its resume on the draining director again.
 */
final class DirectorLeavingEvents implements LegEvents {

    private final LegEvents events;
    private final Runnable leaving;

    DirectorLeavingEvents(LegEvents events, Runnable leaving) {
        this.events = events;
        this.leaving = leaving;
    }

    @Override
    public void assigned(Connected connected) {
        events.assigned(connected);
    }

    @Override
    public void token(Token token) {
        events.token(token);
    }

    @Override
    public void ended(End end) {
        events.ended(end);
    }

    @Override
    public void retry(Retry retry) {
        events.retry(retry);
    }

    @Override
    public void refused(StreamError error) {
        if (error.code() == ErrorCode.SHUTTING_DOWN) {
            leaving.run();
        }
        events.refused(error);
    }

    @Override
    public void broken(String problem) {
        events.broken(problem);
    }
}
