package io.connectionswap.worker.model.openai;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Flow;

/**
 * A response body as lines (ended by LF, CR or CRLF, as event streams are), each UTF-8 text, handed on as the
 * downstream asks for them; a line longer than {@code maxLineBytes} fails the body with an {@link IOException} and
 * cancels it. The JDK's own line subscriber gathers a whole line before it looks at its length, so an upstream that
 * sends one endless line was read into memory until a timeout; here no more than {@code maxLineBytes} of one line is
 * held. Line ends are found in the bytes (CR and LF never occur inside a multi-byte UTF-8 character), so a character
 * split between two reads is whole in its line. Thread-safe: the body's reads and the downstream's requests may
 * come on different threads; the downstream is called with this object's lock held, so it must not block.
 */
final class BoundedLines implements Flow.Subscriber<List<ByteBuffer>>, Flow.Subscription {

    private final Flow.Subscriber<? super String> downstream;
    private final int maxLineBytes;
    private final ArrayDeque<String> lines = new ArrayDeque<>();
    /** The line read so far, in {@code line[0, lineLength)}; grown as it needs, up to {@code maxLineBytes}. */
    private byte[] line = new byte[256];
    private int lineLength;
    private Flow.Subscription upstream;
    private long demand;
    private boolean readAsked;
    private boolean afterCarriageReturn;
    private boolean bodyEnded;
    private Throwable failure;
    private boolean done;

    BoundedLines(Flow.Subscriber<? super String> downstream, int maxLineBytes) {
        if (maxLineBytes <= 0) {
            throw new IllegalArgumentException("maxLineBytes: " + maxLineBytes + " (expected: > 0)");
        }
        this.downstream = downstream;
        this.maxLineBytes = maxLineBytes;
    }

    // ---- from the body ----

    @Override
    public synchronized void onSubscribe(Flow.Subscription subscription) {
        upstream = subscription;
        downstream.onSubscribe(this);
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> buffers) {
        readAsked = false;
        if (done || failure != null) {
            return; // cancelled, or failed already: what was in flight is dropped
        }
        for (ByteBuffer buffer : buffers) {
            while (buffer.hasRemaining()) {
                if (afterCarriageReturn) {
                    afterCarriageReturn = false;
                    if (buffer.get(buffer.position()) == '\n') {
                        buffer.get(); // the LF of a CRLF: its line was ended by the CR
                        continue;
                    }
                }
                int start = buffer.position();
                int end = start;
                while (end < buffer.limit() && buffer.get(end) != '\n' && buffer.get(end) != '\r') {
                    end++;
                }
                if (lineLength + end - start > maxLineBytes) {
                    upstream.cancel();
                    failure = new IOException("upstream sent a line longer than " + maxLineBytes + " bytes");
                    deliver(); // the whole lines before it first
                    return;
                }
                append(buffer, end - start);
                if (buffer.hasRemaining()) {
                    afterCarriageReturn = buffer.get() == '\r';
                    endLine();
                }
            }
        }
        deliver();
    }

    @Override
    public synchronized void onError(Throwable throwable) {
        readAsked = false;
        failure = throwable;
        deliver();
    }

    @Override
    public synchronized void onComplete() {
        readAsked = false;
        if (lineLength > 0) {
            endLine(); // the last line, without its end
        }
        bodyEnded = true;
        deliver();
    }

    // ---- from the downstream ----

    @Override
    public synchronized void request(long n) {
        if (done) {
            return;
        }
        if (n <= 0) {
            upstream.cancel();
            failure = new IllegalArgumentException("request(" + n + ") (expected: > 0)");
            lines.clear();
        } else {
            demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
        }
        deliver();
    }

    @Override
    public synchronized void cancel() {
        done = true;
        lines.clear();
        upstream.cancel();
    }

    private void append(ByteBuffer buffer, int count) {
        if (lineLength + count > line.length) {
            line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(lineLength + count, line.length * 2)));
        }
        buffer.get(line, lineLength, count);
        lineLength += count;
    }

    private void endLine() {
        lines.add(new String(line, 0, lineLength, StandardCharsets.UTF_8));
        lineLength = 0;
    }

    /** Hands on what is asked for, then the end once every line is taken; reads more while lines are wanted. */
    private void deliver() {
        while (!done && demand > 0 && !lines.isEmpty()) {
            demand--;
            downstream.onNext(lines.poll());
        }
        if (done || !lines.isEmpty()) {
            return;
        }
        if (failure != null) {
            done = true;
            downstream.onError(failure);
        } else if (bodyEnded) {
            done = true;
            downstream.onComplete();
        } else if (demand > 0 && !readAsked) {
            readAsked = true;
            upstream.request(1);
        }
    }
}
