package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.log.LogLine;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.FastThreadLocal;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends what many stream writes on one QUIC connection queue, during one pass of its event loop, as few datagrams.
 *
 * <p>Netty's QUIC stream {@code write} hands the bytes to quiche and sends the connection's packets at once, unless
 * that connection is being read in the same pass (its {@code flush()} does nothing). A relay writes to one connection
 * (the client's) while reading another (the worker's), so every relayed token left as its own send. {@link #hold}
 * marks the connection as Netty marks one it reads, so that writes only queue in quiche; {@link #sendAllHeld} at the
 * end of the batch (the director: when a read from a worker's socket is complete, {@link SendHeldAfterRead}) sends
 * each held connection's packets at once, and a task at the end of the loop's pass sends any connection still held.
 * What that saves: the frames of one stream that arrived in one read leave as one STREAM frame, and the packets of a
 * connection (one per stream: the quiche inside Netty 4.2 writes at most one STREAM frame per packet, {@code
 * send_single}) leave in one send, with one timer rearm and one flush of the socket: on epoll one {@code sendmmsg},
 * or one UDP GSO write when they are of one size. The peer then acknowledges the batch once. Holding every connection
 * until the end of the loop's pass instead cost the bench's relay ~110 µs p50 per token (a token waited for every
 * other socket of the pass).
 *
 * <p>This reaches into two package-private methods of Netty's {@code QuicheQuicChannel} (the ones its codec calls
 * around a read: {@code markInFireChannelReadCompleteQueue} and {@code recvComplete}). When they cannot be reached
 * (another Netty version), {@link #hold} does nothing and every write sends at once, as before; one line says so.
 * Loop-confined: call {@link #hold} and {@link #sendAllHeld} on the connection's event loop.
 */
public final class CoalescedSends {

    private static final Logger log = LoggerFactory.getLogger(CoalescedSends.class);
    private static final MethodHandle MARK;
    private static final MethodHandle SEND;
    private static final FastThreadLocal<CoalescedSends> PER_LOOP = new FastThreadLocal<>() {
        @Override
        protected CoalescedSends initialValue() {
            return new CoalescedSends();
        }
    };

    static {
        MethodHandle mark = null;
        MethodHandle send = null;
        try {
            Class<?> quiche = Class.forName("io.netty.handler.codec.quic.QuicheQuicChannel");
            Method markMethod = quiche.getDeclaredMethod("markInFireChannelReadCompleteQueue");
            Method sendMethod = quiche.getDeclaredMethod("recvComplete");
            markMethod.setAccessible(true);
            sendMethod.setAccessible(true);
            mark = MethodHandles.lookup().unreflect(markMethod)
                    .asType(MethodType.methodType(boolean.class, QuicChannel.class));
            send = MethodHandles.lookup().unreflect(sendMethod)
                    .asType(MethodType.methodType(void.class, QuicChannel.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            LogLine.warn(log).quoted("problem", e.toString())
                    .log("cannot reach Netty's QUIC send batching; every relayed write sends its own datagram");
        }
        MARK = mark;
        SEND = send;
    }

    /** The connections this loop holds now, in the order first held. */
    private List<QuicChannel> held = new ArrayList<>();
    /** The list {@link #sendNow} walks; swapped with {@link #held}, so a pass allocates nothing. */
    private List<QuicChannel> sending = new ArrayList<>();
    /** Whether the end-of-pass {@link #sendHeld} is queued. */
    private boolean sendHeldScheduled;
    private final Runnable sendHeld = this::endOfPass;

    private CoalescedSends() {
    }

    /** Whether {@link #hold} can defer sends with this Netty. */
    public static boolean available() {
        return MARK != null && SEND != null;
    }

    /**
     * Defers the datagrams of writes to {@code stream}'s connection until {@link #sendAllHeld} or, at the latest, the
     * end of this event loop pass. Call on the loop, before writing. Nothing happens when the connection is already
     * being read in this pass (Netty sends after the read) or already held.
     */
    public static void hold(QuicStreamChannel stream) {
        QuicChannel connection = stream.parent();
        if (MARK == null || connection == null) {
            return;
        }
        PER_LOOP.get().add(connection);
    }

    /**
     * Sends now every connection {@link #hold} deferred on this loop: at the end of a socket's read batch ({@link
     * SendHeldAfterRead}), so that what the batch relayed to one connection leaves in one send. Call on the loop.
     */
    public static void sendAllHeld() {
        if (SEND != null) {
            PER_LOOP.get().sendNow();
        }
    }

    private void add(QuicChannel connection) {
        boolean marked;
        try {
            marked = (boolean) MARK.invokeExact(connection);
        } catch (Throwable e) {
            return; // not a quiche channel: it sends as it always did
        }
        if (!marked) {
            return; // already read or held in this pass: whoever marked it sends
        }
        held.add(connection);
        if (!sendHeldScheduled) {
            sendHeldScheduled = true;
            connection.eventLoop().execute(sendHeld);
        }
    }

    /** The end of the pass: sends every connection still held (writes that no {@link #sendAllHeld} followed). */
    private void endOfPass() {
        sendHeldScheduled = false;
        sendNow();
    }

    private void sendNow() {
        if (held.isEmpty()) {
            return;
        }
        // a connection's send may run handlers that hold another one: the end-of-pass task sends those
        List<QuicChannel> now = held;
        held = sending;
        sending = now;
        for (int i = 0; i < now.size(); i++) {
            send(now.get(i));
        }
        now.clear();
    }

    private void send(QuicChannel connection) {
        try {
            SEND.invokeExact(connection);
        } catch (Throwable e) {
            LogLine.warn(log).field("peer", Peers.address(connection)).quoted("problem", e.toString())
                    .cause(e).log("sending held QUIC packets failed; the connection's loss recovery resends");
        }
    }
}
