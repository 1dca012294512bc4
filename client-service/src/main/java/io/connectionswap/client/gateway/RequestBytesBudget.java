package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The request bytes the gateway holds at once, gateway-wide ({@code
 * CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES}): a body while it is read ({@link RequestBodyBytes}) and the
 * request parsed from it while its generation runs (its prompt is kept to resume it on another worker). Each request
 * opens a {@link Reservation} before its body is read, adds its bytes to it as they arrive (a head alone holds nothing)
 * and gives it back once when its answer ends, however it ends. A request that does not fit is refused (503 with {@code
 * Retry-After}), counted in {@code connection_swap_limit_hits_total{limit="gateway_request_bytes"}}, with a WARN line
 * at the first refusal and a reminder at most every {@link RepeatedProblems#REMIND_EVERY} with the number since.
 */
final class RequestBytesBudget {

    private static final Logger log = LoggerFactory.getLogger(RequestBytesBudget.class);

    private final long capacity;
    private final Runnable onRefused;
    private final AtomicLong reserved = new AtomicLong();
    private final RepeatedProblems refusals = RepeatedProblems.withDefaults();

    RequestBytesBudget(long capacity, Runnable onRefused) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: > 0)");
        }
        this.capacity = capacity;
        this.onRefused = onRefused;
        LogLine.info(log).field("max.buffered.request.bytes", capacity).log("gateway request bytes budget");
    }

    long capacity() {
        return capacity;
    }

    /** Bytes reserved now by the requests being read or answered. */
    long reserved() {
        return reserved.get();
    }

    /** A new reservation of no bytes, for one request. */
    Reservation open() {
        return new Reservation();
    }

    private boolean tryReserve(long bytes) {
        while (true) {
            long now = reserved.get();
            if (now + bytes > capacity) {
                refused(now, bytes);
                return false;
            }
            if (reserved.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    private void refused(long reservedNow, long bytes) {
        onRefused.run();
        RepeatedProblems.Occurrence occurrence = refusals.occurred(RequestBytesBudget.class, Level.WARN);
        occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("max.buffered.request.bytes", capacity)
                        .field("reserved.bytes", reservedNow).field("request.bytes", bytes))
                .log("gateway request bytes at their limit; request refused with 503");
    }

    /** What one request holds of the budget; given back whole, once, by {@link #release()}. Thread-safe. */
    final class Reservation {

        private long held;
        private boolean released;

        private Reservation() {
        }

        /** Reserves {@code bytes} more; false when they do not fit (a refusal: counted and logged) or after release. */
        synchronized boolean add(long bytes) {
            if (released || !tryReserve(bytes)) {
                return false;
            }
            held += bytes;
            return true;
        }

        /** Gives back every byte reserved; later calls do nothing. */
        synchronized void release() {
            if (!released) {
                released = true;
                reserved.addAndGet(-held);
                held = 0;
            }
        }
    }
}
