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
 * declared (Content-Length) was reserved before it is read and fills an array of that size; one without (chunked) is
 * reserved buffer by buffer.
 */
final class RequestBodyBytes {

    private final int limit;
    private byte[] bytes;
    private int size;

    private RequestBodyBytes(int capacity, int limit) {
        this.bytes = new byte[capacity];
        this.limit = limit;
    }

    /**
     * The bytes of {@code body}: its declared size ({@code declared}, -1 when not declared, already reserved in
     * {@code reservation}), at most {@code limit} (beyond: a 413), reserved as they arrive when not declared (beyond the
     * budget: {@code busy}).
     */
    static Mono<byte[]> read(Flux<DataBuffer> body, long declared, int limit,
                             RequestBytesBudget.Reservation reservation, Supplier<GatewayError> busy) {
        return body.collect(() -> new RequestBodyBytes(declared >= 0 ? (int) declared : 0, limit), (read, buffer) -> {
            try {
                int more = buffer.readableByteCount();
                if ((long) read.size + more > limit) {
                    throw GatewayError.tooLarge(limit);
                }
                if (declared < 0 && !reservation.add(more)) {
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
            // doubled, never beyond the limit (size + more is within it)
            bytes = Arrays.copyOf(bytes, (int) Math.min(Math.max(size + more, 2L * bytes.length), limit));
        }
        buffer.read(bytes, size, more);
        size += more;
    }

    private byte[] bytes() {
        return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
    }
}
