package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;

/** What happens on one leg's stream, reported on the client loop. After END, RETRY, ERROR or broken: nothing more. */
public interface LegEvents {

    void assigned(Connected connected);

    void token(Token token);

    void ended(End end);

    void retry(Retry retry);

    void refused(StreamError error);

    /** The stream ended without END, RETRY or ERROR (reset, closed, bad frame, connection lost). */
    void broken(String problem);
}
