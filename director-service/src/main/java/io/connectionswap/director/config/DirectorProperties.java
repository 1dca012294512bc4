package io.connectionswap.director.config;

import io.connectionswap.protocol.config.EventLoopCount;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicTransport;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Director settings; the environment variable feeding each is named in {@code application.yml} and the README.
 *
 * @param addr                   UDP address of the QUIC server ({@code CONNECTION_SWAP_DIRECTOR_ADDR})
 * @param id                     name of this director in logs and acks (default: host name)
 * @param workerTlsName          name the director verifies on worker certificates; blank: the host it dials
 * @param linkHeartbeatInterval  heartbeat to each worker from each routing loop; a loop's connections to the worker
 *                               take turns, each sending one every (connections × interval), at most half the timeout
 *                               ({@code HeartbeatTurns})
 * @param linkHeartbeatTimeout   a worker connection with no echo for this long is lost (swap reason connection_lost);
 *                               a connection that takes turns gets what its longer period adds
 * @param stallFactor            a stream of a fixed-pace worker is stalled after this many token intervals without a
 *                               frame from its worker
 * @param stallMinimum           never call a stream stalled sooner than this; a worker silent on its link heartbeat
 *                               and on every stream for this long hangs ({@code CONNECTION_SWAP_STALL_MINIMUM});
 *                               10 times this while every worker in rotation is silent at once
 * @param firstTokenTimeout      a self-paced worker (token interval 0) may take this long for a stream's first token
 *                               ({@code CONNECTION_SWAP_FIRST_TOKEN_TIMEOUT})
 * @param tokenGapTimeout        a self-paced worker may take this long between two tokens of a stream
 *                               ({@code CONNECTION_SWAP_TOKEN_GAP_TIMEOUT})
 * @param evictAfter             forget a worker that has been unregistered, out of DNS, and unreachable or without a
 *                               QUIC link this long
 * @param migrationLimit         most moves of one generation to another worker
 *                               ({@code CONNECTION_SWAP_MIGRATION_LIMIT}); then the client gets a final
 *                               MIGRATION_LIMIT error; 0: never move
 * @param coalesceSends          the frames one read from a worker relays to one client connection leave in one send
 *                               of that connection ({@code CONNECTION_SWAP_COALESCE_SENDS}); false: a send per write
 * @param quicTransport          the UDP transport under QUIC ({@code CONNECTION_SWAP_QUIC_TRANSPORT}): auto (default:
 *                               epoll where Netty's native epoll loads, else nio), epoll, or nio
 * @param udpGso                 on epoll, a connection's equally sized packets leave as one UDP GSO datagram
 *                               ({@code CONNECTION_SWAP_UDP_GSO})
 * @param workerLinkConnections  QUIC connections the director opens to each worker, its streams spread over them in
 *                               turn ({@code CONNECTION_SWAP_WORKER_LINK_CONNECTIONS}); fewer streams per connection
 *                               cost less per relayed token; with several routing loops they are shared among
 *                               them, at least one each
 * @param routingLoops           event loops that carry the director's QUIC connections and relay sessions, each with
 *                               its own UDP socket on the director's port ({@code CONNECTION_SWAP_ROUTING_LOOPS});
 *                               0 (default): one per available processor
 * @param workerTokenStream      workers that registered the feature send their generations' frames on one token stream
 *                               per link connection ({@code CONNECTION_SWAP_WORKER_TOKEN_STREAM}); false: each
 *                               generation's frames on its own stream
 * @param clientTokenStream      a client that asks for it in its GENERATE gets the generation's frames on its
 *                               connection's control stream, tagged, with those of its other generations
 *                               ({@code CONNECTION_SWAP_CLIENT_TOKEN_STREAM}); false: always on the generation's stream
 * @param busyPoll               the routing loops poll their sockets without sleeping
 *                               ({@code CONNECTION_SWAP_BUSY_POLL}, epoll only): each loop takes a whole core, and a
 *                               relayed token skips the wake-up of a sleeping loop (bench/README, "Busy polling")
 */
@ConfigurationProperties("connection-swap.director")
public record DirectorProperties(
        @DefaultValue("127.0.0.1:61000") String addr,
        String id,
        String workerTlsName,
        @DefaultValue("100ms") Duration linkHeartbeatInterval,
        @DefaultValue("1s") Duration linkHeartbeatTimeout,
        @DefaultValue("3") int stallFactor,
        @DefaultValue("300ms") Duration stallMinimum,
        @DefaultValue("30s") Duration firstTokenTimeout,
        @DefaultValue("15s") Duration tokenGapTimeout,
        @DefaultValue("60s") Duration evictAfter,
        @DefaultValue("3") int migrationLimit,
        @DefaultValue("true") boolean coalesceSends,
        @DefaultValue("auto") String quicTransport,
        @DefaultValue("true") boolean udpGso,
        @DefaultValue("4") int workerLinkConnections,
        @DefaultValue("0") int routingLoops,
        @DefaultValue("true") boolean workerTokenStream,
        @DefaultValue("true") boolean clientTokenStream,
        @DefaultValue("false") boolean busyPoll) {

    /** The env var that gives {@code addr}. */
    public static final String ADDR_SETTING = "CONNECTION_SWAP_DIRECTOR_ADDR";

    public DirectorProperties {
        HostPort.parse(ADDR_SETTING, addr); // fails at binding, naming the setting, not once the server starts
        if (stallFactor < 2) {
            throw new IllegalArgumentException("connection-swap.director.stall-factor: " + stallFactor + " (expected: >= 2)");
        }
        positive("connection-swap.director.link-heartbeat-interval", linkHeartbeatInterval);
        if (linkHeartbeatTimeout == null || linkHeartbeatTimeout.compareTo(linkHeartbeatInterval) <= 0) {
            throw new IllegalArgumentException("connection-swap.director.link-heartbeat-interval="
                    + linkHeartbeatInterval + " and connection-swap.director.link-heartbeat-timeout="
                    + linkHeartbeatTimeout + " (default 100ms and 1s; expected: 0 < interval < timeout, several "
                    + "intervals in a timeout)");
        }
        positive("CONNECTION_SWAP_STALL_MINIMUM", stallMinimum);
        positive("CONNECTION_SWAP_FIRST_TOKEN_TIMEOUT", firstTokenTimeout);
        positive("CONNECTION_SWAP_TOKEN_GAP_TIMEOUT", tokenGapTimeout);
        if (migrationLimit < 0) {
            throw new IllegalArgumentException("CONNECTION_SWAP_MIGRATION_LIMIT=" + migrationLimit
                    + " (expected: >= 0; 0 never moves a generation)");
        }
        // fails early, naming the setting
        QuicTransport transport = QuicTransport.fromSetting("CONNECTION_SWAP_QUIC_TRANSPORT", quicTransport);
        if (workerLinkConnections < 1 || workerLinkConnections > 64) {
            throw new IllegalArgumentException("CONNECTION_SWAP_WORKER_LINK_CONNECTIONS=" + workerLinkConnections
                    + " (expected: 1 to 64)");
        }
        EventLoopCount.check("CONNECTION_SWAP_ROUTING_LOOPS", routingLoops);
        if (busyPoll && transport != QuicTransport.EPOLL) {
            throw new IllegalArgumentException("CONNECTION_SWAP_BUSY_POLL=true needs the epoll transport (Linux, "
                    + "CONNECTION_SWAP_QUIC_TRANSPORT=auto or epoll); this director would run " + transport.label());
        }
        if (id == null || id.isBlank()) {
            String host = System.getenv("HOSTNAME");
            id = host != null && !host.isBlank() ? host : "director-" + Long.toHexString(System.nanoTime() & 0xffffffL);
        }
    }

    /** Routing loops to run: {@code routingLoops}, or the available processors when it is 0. */
    public int routingLoopCount() {
        return EventLoopCount.resolve(routingLoops);
    }

    private static void positive(String setting, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(setting + "=" + value + " (expected: > 0)");
        }
    }

    /** The transport {@code quicTransport} names here; fails naming the setting when it cannot be had. */
    public QuicTransport transport() {
        return QuicTransport.fromSetting("CONNECTION_SWAP_QUIC_TRANSPORT", quicTransport);
    }

    public HostPort bindAddress() {
        return HostPort.parse(ADDR_SETTING, addr);
    }
}
