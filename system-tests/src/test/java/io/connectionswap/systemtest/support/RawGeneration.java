package io.connectionswap.systemtest.support;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import java.time.Duration;

/**
 * One leg of a generation on a {@link RawQuicClient} stream, read by hand: the worker that serves it, the tokens in
 * order (a gap or duplicate fails at once), and how the leg ended (END, RETRY or ERROR).
 */
public final class RawGeneration {

    private final RawQuicClient.Stream stream;
    private final StringBuilder text = new StringBuilder();
    private String worker;
    private int lastSequence;
    private Message end;

    private RawGeneration(RawQuicClient.Stream stream, int resumeAfter, String deliveredText) {
        this.stream = stream;
        this.lastSequence = resumeAfter;
        if (deliveredText != null) {
            text.append(deliveredText);
        }
    }

    /** Opens a stream on {@code client} and sends {@code request}. */
    public static RawGeneration start(RawQuicClient client, GenerationRequest request) throws Exception {
        RawQuicClient.Stream stream = client.openStream();
        RawGeneration generation = new RawGeneration(stream, request.resumeAfter(), request.deliveredText());
        stream.write(request);
        return generation;
    }

    /** A generation whose {@code request} was written on {@code stream} already (e.g. after pausing its reading). */
    public static RawGeneration of(RawQuicClient.Stream stream, GenerationRequest request) {
        return new RawGeneration(stream, request.resumeAfter(), request.deliveredText());
    }

    /** Waits for CONNECTED; returns the worker's label. */
    public String awaitWorker(Duration timeout) throws InterruptedException {
        readUntil(timeout, () -> worker != null);
        if (worker == null) {
            throw new AssertionError("no CONNECTED within " + timeout + (end != null ? "; stream ended with " + end : ""));
        }
        return worker;
    }

    /** Waits until token {@code sequence} arrived. */
    public void awaitSequence(int sequence, Duration timeout) throws InterruptedException {
        readUntil(timeout, () -> lastSequence >= sequence);
        if (lastSequence < sequence) {
            throw new AssertionError("token " + sequence + " did not arrive within " + timeout + " (last " + lastSequence
                    + (end != null ? ", stream ended with " + end : "") + ")");
        }
    }

    /** Waits for the end of the leg and returns it as {@code type} (END, RETRY or ERROR). */
    public <T extends Message> T awaitEnd(Class<T> type, Duration timeout) throws InterruptedException {
        readUntil(timeout, () -> end != null);
        if (!type.isInstance(end)) {
            throw new AssertionError("expected " + type.getSimpleName() + " to end the stream, got " + end + " (last token "
                    + lastSequence + ")");
        }
        return type.cast(end);
    }

    public int lastSequence() {
        return lastSequence;
    }

    /** The text of tokens 1..{@link #lastSequence()}, with what a resume started from. */
    public String text() {
        return text.toString();
    }

    public RawQuicClient.Stream stream() {
        return stream;
    }

    private void readUntil(Duration timeout, java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean() && end == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Message message = stream.replies.poll(Math.min(left, Duration.ofMillis(100).toNanos()),
                    java.util.concurrent.TimeUnit.NANOSECONDS);
            if (message != null) {
                take(message);
            }
        }
    }

    private void take(Message message) {
        if (message instanceof Connected connected) {
            worker = connected.worker();
        } else if (message instanceof Token token) {
            if (token.sequence() != lastSequence + 1) {
                throw new AssertionError("token " + token.sequence() + " where " + (lastSequence + 1) + " was due");
            }
            lastSequence = token.sequence();
            text.append(token.text());
        } else if (message instanceof End || message instanceof Retry || message instanceof StreamError) {
            end = message;
        } else {
            throw new AssertionError("unexpected " + message);
        }
    }
}
