package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;

/**
 * A body as lines: LF, CR and CRLF end a line wherever the reads split them, a character split between two reads is
 * whole, lines go out as they are asked for, and a line past its limit fails the body at once, cancelled.
 */
class BoundedLinesTest {

    private final Recorder lines = new Recorder();
    private final Body body = new Body();

    @Test
    void everyLineEndEndsALineWhereverTheReadsSplitIt() {
        BoundedLines splitter = subscribed(1 << 10);
        lines.subscription.request(Long.MAX_VALUE);

        splitter.onNext(reads("data: a\r", "\ndata: b\rdata: c\n\n", "data: é".substring(0, 6)));
        splitter.onNext(List.of(ByteBuffer.wrap(new byte[] {(byte) 0xC3}), ByteBuffer.wrap(new byte[] {(byte) 0xA9})));
        splitter.onNext(reads("\r\n", "tail"));
        splitter.onComplete();

        assertThat(lines.received).containsExactly("data: a", "data: b", "data: c", "", "data: é", "tail");
        assertThat(lines.completed).isTrue();
    }

    @Test
    void aLongLineComesWholeFromManyReads() {
        BoundedLines splitter = subscribed(1 << 16);
        lines.subscription.request(Long.MAX_VALUE);
        String text = "data: " + "ü".repeat(5000);

        byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
        for (int offset = 0; offset < bytes.length; offset += 333) {
            splitter.onNext(List.of(ByteBuffer.wrap(bytes, offset, Math.min(333, bytes.length - offset))));
        }

        assertThat(lines.received).containsExactly(text);
    }

    @Test
    void linesGoOutAsTheyAreAskedForAndTheBodyIsReadOnlyWhileOneIsWanted() {
        BoundedLines splitter = subscribed(1 << 10);
        assertThat(body.requested).as("nothing read before a line is wanted").isZero();

        lines.subscription.request(1);
        assertThat(body.requested).isEqualTo(1);
        splitter.onNext(reads("one\ntwo\nthree\n"));
        assertThat(lines.received).containsExactly("one");
        assertThat(body.requested).as("lines are waiting: no read").isEqualTo(1);

        lines.subscription.request(2);
        assertThat(lines.received).containsExactly("one", "two", "three");
        splitter.onComplete();
        assertThat(lines.completed).as("the end once every line was taken").isTrue();
    }

    @Test
    void aLinePastItsLimitFailsTheBodyAfterTheWholeLinesBeforeIt() {
        BoundedLines splitter = subscribed(16);
        lines.subscription.request(Long.MAX_VALUE);

        splitter.onNext(reads("data: short\n", "data: " + "x".repeat(10)));
        assertThat(lines.failure).as("exactly at the limit is a line").isNull();
        splitter.onNext(reads("x"));

        assertThat(lines.received).containsExactly("data: short");
        assertThat(lines.failure).isInstanceOf(IOException.class)
                .hasMessage("upstream sent a line longer than 16 bytes");
        assertThat(body.cancelled).isTrue();
        splitter.onNext(reads("\nmore\n"));
        assertThat(lines.received).as("nothing after the failure").hasSize(1);
    }

    @Test
    void theDownstreamsCancelCancelsTheBody() {
        BoundedLines splitter = subscribed(1 << 10);
        lines.subscription.request(5);
        lines.subscription.cancel();

        splitter.onNext(reads("late\n"));

        assertThat(body.cancelled).isTrue();
        assertThat(lines.received).isEmpty();
    }

    private BoundedLines subscribed(int maxLineBytes) {
        BoundedLines splitter = new BoundedLines(lines, maxLineBytes);
        splitter.onSubscribe(body);
        return splitter;
    }

    private static List<ByteBuffer> reads(String... parts) {
        return Arrays.stream(parts).map(part -> ByteBuffer.wrap(part.getBytes(StandardCharsets.UTF_8))).toList();
    }

    private static final class Body implements Flow.Subscription {
        long requested;
        boolean cancelled;

        @Override
        public void request(long n) {
            requested += n;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    private static final class Recorder implements Flow.Subscriber<String> {
        final List<String> received = new ArrayList<>();
        Flow.Subscription subscription;
        Throwable failure;
        boolean completed;

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
        }

        @Override
        public void onNext(String item) {
            received.add(item);
        }

        @Override
        public void onError(Throwable throwable) {
            failure = throwable;
        }

        @Override
        public void onComplete() {
            completed = true;
        }
    }
}
