package io.connectionswap.director.quic;

import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.quic.Peers;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.quic.QuicChannel;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * The client connections a director holds at once: at most {@code CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS} in all, and
 * at most {@code CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS_PER_ADDRESS} from one source address (an IPv6 address counts by
 * its /64, which one host can fill on its own), so that one address cannot take every slot (a host with several
 * addresses or /64s takes a share for each). A connection over either is refused: counted in
 * {@code connection_swap_limit_hits_total{limit}}, and {@link #refuse closed} at once with OVERLOADED and a reason
 * naming the setting. Worker registrations are not counted. Any routing loop.
 */
final class ClientConnectionLimits {

    /**
     * Refusals remembered for their throttled lines, least recently refused forgotten first: that of the global limit
     * and one per address.
     */
    private static final int REFUSALS_REMEMBERED = 256;

    private final LimitProperties limits;
    private final DirectorMeters meters;
    private final Logger log;
    private final AtomicInteger open = new AtomicInteger();
    /** Open client connections by source address key; an address leaves the map with its last connection. */
    private final Map<InetAddress, Integer> byAddress = new ConcurrentHashMap<>();
    /**
     * How loud a refusal is: one WARN for the global limit and one per address for the limit per address, their
     * repeats DEBUG with a WARN reminder counting them (a client library redials after its backoff, a hostile host as
     * fast as it can: a line per refused handshake would be a flood).
     */
    private final RepeatedProblems refusals = new RepeatedProblems(RepeatedProblems.REMIND_EVERY, REFUSALS_REMEMBERED,
            System::nanoTime);

    /** A client connection let in: give it back with {@link #release} when it closes. */
    record Admission(InetAddress address) {
    }

    ClientConnectionLimits(LimitProperties limits, DirectorMeters meters, Logger log) {
        this.limits = limits;
        this.meters = meters;
        this.log = log;
    }

    /**
     * Counts {@code connection} (a client's, new) in, or refuses it: then it is closed with OVERLOADED, its refusal
     * counted and logged, and the answer is null.
     */
    Admission admit(QuicChannel connection, String peerName) {
        if (open.incrementAndGet() > limits.maxClientConnections()) {
            String limit = DirectorMeters.Limit.CLIENT_CONNECTIONS;
            refuse(connection, peerName, limit, limit, limits.maxClientConnections(),
                    "too many client connections; refusing this one",
                    "director has " + limits.maxClientConnections() + " client connections, its limit "
                            + "(CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS); try later or another director");
            return null;
        }
        InetAddress address = addressKey(connection.remoteSocketAddress());
        if (address != null && !countIn(address)) {
            String from = address.getHostAddress() + (address instanceof Inet6Address ? "/64" : "");
            refuse(connection, peerName, DirectorMeters.Limit.CLIENT_CONNECTIONS_PER_ADDRESS, address,
                    limits.maxClientConnectionsPerAddress(),
                    "too many client connections from one address; refusing this one",
                    "director has " + limits.maxClientConnectionsPerAddress() + " client connections from " + from
                            + ", its limit per address (CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS_PER_ADDRESS); try "
                            + "later or another director");
            return null;
        }
        return new Admission(address);
    }

    /**
     * Refuses {@code connection}, counted in a moment ago: its slot back, the refusal counted under {@code limit},
     * logged as {@code line} (throttled per {@code problem}), and the connection closed with OVERLOADED and
     * {@code reason}.
     */
    private void refuse(QuicChannel connection, String peerName, String limit, Object problem, int value, String line,
                        String reason) {
        open.decrementAndGet();
        meters.limitHit(limit);
        RepeatedProblems.Occurrence occurrence = refusals.occurred(problem, Level.WARN);
        occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("peer", Peers.address(connection))
                        .field("peer.cert", peerName).field("error", ErrorCode.OVERLOADED).field("limit", value))
                .log(line);
        connection.close(true, ErrorCode.OVERLOADED.code(),
                Unpooled.wrappedBuffer(reason.getBytes(StandardCharsets.UTF_8)));
    }

    /** The connection admitted as {@code admission} closed: its slots are free. */
    void release(Admission admission) {
        open.decrementAndGet();
        if (admission.address() != null) {
            byAddress.computeIfPresent(admission.address(), (key, count) -> count > 1 ? count - 1 : null);
        }
    }

    /** Client connections open now. */
    int open() {
        return open.get();
    }

    private boolean countIn(InetAddress address) {
        boolean[] admitted = new boolean[1];
        byAddress.compute(address, (key, count) -> {
            int now = count == null ? 0 : count;
            if (now >= limits.maxClientConnectionsPerAddress()) {
                return count;
            }
            admitted[0] = true;
            return now + 1;
        });
        return admitted[0];
    }

    /**
     * What the per-address limit counts {@code address} as: its IP address; for IPv6, its /64 (the rest zeroed): one
     * host is usually given a whole /64, and picks its source address in it at will. Null when it is no IP address.
     */
    static InetAddress addressKey(Object address) {
        if (!(address instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return null;
        }
        InetAddress ip = inet.getAddress();
        if (!(ip instanceof Inet6Address)) {
            return ip;
        }
        byte[] prefix = Arrays.copyOf(ip.getAddress(), 16);
        Arrays.fill(prefix, 8, 16, (byte) 0);
        try {
            return InetAddress.getByAddress(prefix);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("16 bytes are an IPv6 address", e);
        }
    }
}
