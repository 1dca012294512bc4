package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.log.RepeatedProblems;
import io.netty.channel.Channel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.AttributeKey;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * How loud a problem a peer's stream caused should be logged, per connection ({@link RepeatedProblems}): a peer that
 * opens stream after stream with the same bad input (a client in a loop, or a hostile one) would otherwise write a
 * WARN per stream as fast as it opens them. The first of a connection's problems (by logger and kind, e.g. an error
 * code) is a WARN, its repeats DEBUG, and a WARN reminder at most every {@link RepeatedProblems#REMIND_EVERY} says how
 * many came since. The memory is the connection's and goes with it.
 */
public final class ConnectionProblems {

    private static final AttributeKey<RepeatedProblems> PROBLEMS =
            AttributeKey.valueOf("connection-swap.repeated-stream-problems");
    /** Problems remembered per connection: loggers times kinds, far fewer in practice. */
    private static final int REMEMBERED = 64;

    private ConnectionProblems() {
    }

    /** The problem {@code kind} occurred on {@code channel} (a stream or its connection), logged to {@code log}. */
    public static RepeatedProblems.Occurrence occurred(Channel channel, Logger log, Object kind) {
        return occurred(channel, log, kind, Level.WARN);
    }

    /** As {@link #occurred(Channel, Logger, Object)}, its first occurrence at {@code firstLevel}. */
    public static RepeatedProblems.Occurrence occurred(Channel channel, Logger log, Object kind, Level firstLevel) {
        QuicChannel connection = Peers.connectionOf(channel);
        if (connection == null) {
            return new RepeatedProblems.Occurrence(true, 0, firstLevel);
        }
        return problems(connection).occurred(List.of(log.getName(), kind), firstLevel);
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
