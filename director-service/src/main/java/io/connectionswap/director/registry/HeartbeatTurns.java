package io.connectionswap.director.registry;

import java.time.Duration;

/**
 * How the connections of one worker link on one routing loop take turns at the link heartbeat. The loop sends the
 * worker a heartbeat every {@code interval} (what the hang rule and a dead worker's ICMP answer need; an echo read on
 * any loop is a sign of life), each of its {@code count} connections one every {@code period} = count × interval, at
 * its own offset. Before, every connection sent one every interval, those of one loop at the same moment: they told
 * nothing more than one, and at idle they were most of the routing loops' work, growing with workers × connections
 * (bench README, "Idle cost: the link heartbeats take turns").
 *
 * <p>The period is at most half the echo timeout, so a connection still gets two heartbeats within it. Each
 * connection's timeout grows by what its period adds to the interval ({@code timeout + period - interval}): an echo
 * may be as late as before ({@code timeout - interval}) before the connection counts as lost.
 *
 * @param period  each connection's heartbeat interval
 * @param timeout each connection's echo timeout
 * @param count   connections of the link on one routing loop
 */
record HeartbeatTurns(Duration period, Duration timeout, int count) {

    static HeartbeatTurns of(Duration interval, Duration timeout, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("connections: " + count + " (expected: at least 1)");
        }
        Duration period = interval.multipliedBy(count);
        Duration longest = timeout.dividedBy(2);
        if (period.compareTo(longest) > 0) {
            period = longest.compareTo(interval) > 0 ? longest : interval;
        }
        return new HeartbeatTurns(period, timeout.plus(period).minus(interval), count);
    }

    /** When connection {@code index}'s second heartbeat goes after its first: the connections spread over a period. */
    Duration offset(int index) {
        return Duration.ofNanos(period.toNanos() * (index + 1) / count);
    }
}
