package io.connectionswap.director.quic;

import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.quic.Peers;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.channel.Channel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.AttributeKey;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Ends a stream after bad input ({@link StreamFailures}) with one WARN per problem per connection: a peer that opens
 * stream after stream with the same bad input (a client in a loop, or a hostile one) would otherwise write a WARN per
 * stream as fast as it opens them. The first of a connection's problems (by handler and error code) is a WARN, its
 * repeats DEBUG, and a WARN reminder at most every {@link RepeatedProblems#REMIND_EVERY} says how many came since.
 * So are the streams the first-frame timeout resets ({@link FirstFrameTimeout}). The memory is the connection's and
 * goes with it.
 */
final class BadStreams {

    private static final AttributeKey<RepeatedProblems> PROBLEMS =
            AttributeKey.valueOf("connection-swap.repeated-stream-problems");
    /** Problems remembered per connection: handlers times error codes, far fewer in practice. */
    private static final int REMEMBERED = 64;

    private BadStreams() {
    }

    /** Logs (as above) and ends {@code stream} with an ERROR frame for {@code cause}. */
    static void end(Channel stream, Logger log, Throwable cause) {
        StreamFailures.endStream(stream, log, "director", cause, occurred(stream, log, StreamFailures.codeOf(cause)));
    }

    /** How loud the line of {@code problem} (an error code) on {@code stream}, logged to {@code log}, should be. */
    static RepeatedProblems.Occurrence occurred(Channel stream, Logger log, Object problem) {
        QuicChannel connection = Peers.connectionOf(stream);
        if (connection == null) {
            return new RepeatedProblems.Occurrence(true, 0, Level.WARN);
        }
        return problems(connection).occurred(List.of(log.getName(), problem), Level.WARN);
    }

    private static RepeatedProblems problems(QuicChannel connection) {
        RepeatedProblems problems = connection.attr(PROBLEMS).get();
        if (problems == null) {
            RepeatedProblems fresh = new RepeatedProblems(RepeatedProblems.REMIND_EVERY, REMEMBERED, System::nanoTime);
            problems = connection.attr(PROBLEMS).setIfAbsent(fresh);
            problems = problems == null ? fresh : problems;
        }
        return problems;
    }
}
