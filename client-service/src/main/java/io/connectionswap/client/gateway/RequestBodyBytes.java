package io.connectionswap.client.gateway;

import java.util.Arrays;
import java.util.function.Supplier;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A request body read into one heap array as its buffers arrive, each buffer released at once: a body that arrives
 * slowly holds its bytes on the heap, under the gateway's budget ({@link RequestBytesBudget}), not Netty's direct
 * buffers (the image has 64 MiB of them, for the QUIC connection and every HTTP connection). A body whose size was
 * declared (Content-Length) or not (chunked) is reserved buffer by buffer, as it arrives, and its array grows with
 * it (from at most {@value #FIRST_CAPACITY} bytes): a head alone holds neither budget nor heap.
 */
final class RequestBodyBytes {

    /** The first array of a declared body: a head that declares a large body and sends nothing holds no more. */
    static final int FIRST_CAPACITY = 64 * 1024;

    private final int most;
    private byte[] bytes;
    private int size;

    private RequestBodyBytes(int capacity, int most) {
        this.bytes = new byte[capacity];
        this.most = most;
    }

    /**
     * The bytes of {@code body}: its declared size {@code declared} (-1 when not declared) sizes its first array, at most
     * {@code limit} (beyond: a 413), reserved in {@code reservation} as they arrive (beyond the budget: {@code busy}).
     */
    static Mono<byte[]> read(Flux<DataBuffer> body, long declared, int limit,
                             RequestBytesBudget.Reservation reservation, Supplier<GatewayError> busy) {
        // a declared body grows up to its declared size, no further (its last array is then exactly its size)
        int most = declared >= 0 ? (int) declared : limit;
        return body.collect(() -> new RequestBodyBytes(Math.min(most, FIRST_CAPACITY), most), (read, buffer) -> {
            try {
                int more = buffer.readableByteCount();
                if ((long) read.size + more > limit) {
                    throw GatewayError.tooLarge(limit);
                }
                if (!reservation.add(more)) {
                    throw busy.get();
                }
                read.append(buffer, more);
            } finally {
                DataBufferUtils.release(buffer);
            }
        }).map(RequestBodyBytes::bytes);
    }

    private void append(DataBuffer buffer, int more) {
        if (size + more > bytes.length) {
            // doubled, never beyond the most it may hold unless a buffer needs it
            bytes = Arrays.copyOf(bytes, (int) Math.max(size + more, Math.min(2L * bytes.length, most)));
        }
        buffer.read(bytes, size, more);
        size += more;
    }

    private byte[] bytes() {
        return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
    }
}
