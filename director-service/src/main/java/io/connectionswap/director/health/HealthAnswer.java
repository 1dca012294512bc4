package io.connectionswap.director.health;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * The body of one health answer, within bounds: at most {@link #MAX_BYTES} (an Actuator health answer with details
 * is a few KiB; a health URL that points at a download or a large page was read whole at every poll), and whole by
 * its deadline ({@link #expire}, called by the poller's timer): the JDK client's request timeout ends at the response
 * headers, so a body that trickled kept the poll in flight, and the worker in its last state, for as long as it
 * trickled. Past either bound the exchange is cancelled and the poll fails like an unreachable one. Thread-safe.
 */
final class HealthAnswer implements HttpResponse.BodySubscriber<String> {

    static final int MAX_BYTES = 64 * 1024;

    private final Duration timeout;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<String> body = new CompletableFuture<>();
    private Flow.Subscription subscription;
    private boolean expired;

    HealthAnswer(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public CompletionStage<String> getBody() {
        return body;
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription newSubscription) {
        subscription = newSubscription;
        if (expired) {
            newSubscription.cancel();
            return;
        }
        newSubscription.request(Long.MAX_VALUE);
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> buffers) {
        if (body.isDone()) {
            return;
        }
        for (ByteBuffer buffer : buffers) {
            if (bytes.size() + buffer.remaining() > MAX_BYTES) {
                end(new IOException("health answer larger than " + MAX_BYTES + " bytes"));
                return;
            }
            byte[] chunk = new byte[buffer.remaining()];
            buffer.get(chunk);
            bytes.write(chunk, 0, chunk.length);
        }
    }

    @Override
    public void onError(Throwable failure) {
        body.completeExceptionally(failure);
    }

    @Override
    public synchronized void onComplete() {
        body.complete(bytes.toString(StandardCharsets.UTF_8));
    }

    /** The poll's deadline has passed: an answer not whole by now fails as a timeout. */
    synchronized void expire() {
        expired = true;
        if (!body.isDone()) {
            end(new HttpTimeoutException("health answer not whole within " + timeout));
        }
    }

    private void end(IOException failure) {
        if (subscription != null) {
            subscription.cancel();
        }
        body.completeExceptionally(failure);
    }
}
