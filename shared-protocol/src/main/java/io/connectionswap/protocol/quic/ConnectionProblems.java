package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.log.RepeatedProblems;
import io.netty.channel.Channel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.AttributeKey;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    private static final AttributeKey<Details> DETAILS =
            AttributeKey.valueOf("connection-swap.repeated-stream-problem-details");
    /** Problems remembered per connection: loggers times kinds (and the details told apart), far fewer in practice. */
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

    /**
     * The problem {@code kind} occurred on {@code channel}, about {@code detail} (a model name): each of the first
     * {@code maxDetails} distinct details of that kind on the connection is a problem of its own (its first occurrence
     * a WARN), so that the users a gateway multiplexes on its one connection each get theirs; later details share the
     * kind's key, so a peer that sends a new one every time gets neither a WARN nor memory per detail. Keep a detail
     * short (a peer's text cut to a bound): it is held for the connection's life.
     */
    public static RepeatedProblems.Occurrence occurred(Channel channel, Logger log, Object kind, Object detail,
                                                       int maxDetails) {
        QuicChannel connection = Peers.connectionOf(channel);
        if (connection == null) {
            return new RepeatedProblems.Occurrence(true, 0, Level.WARN);
        }
        List<Object> kindKey = List.of(log.getName(), kind);
        boolean own = detail != null && details(connection).admit(kindKey, detail, maxDetails);
        return problems(connection).occurred(own ? List.of(log.getName(), kind, detail) : kindKey, Level.WARN);
    }

    /** The details told apart so far per problem kind of one connection; at most the bound each. Thread-safe. */
    private static final class Details {
        private final Map<List<Object>, Set<Object>> byKind = new HashMap<>();

        synchronized boolean admit(List<Object> kind, Object detail, int maxDetails) {
            Set<Object> seen = byKind.computeIfAbsent(kind, key -> new HashSet<>());
            if (seen.contains(detail)) {
                return true;
            }
            if (seen.size() >= maxDetails) {
                return false;
            }
            seen.add(detail);
            return true;
        }
    }

    private static Details details(QuicChannel connection) {
        Details details = connection.attr(DETAILS).get();
        if (details == null) {
            Details fresh = new Details();
            details = connection.attr(DETAILS).setIfAbsent(fresh);
            details = details == null ? fresh : details;
        }
        return details;
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
