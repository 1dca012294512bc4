package io.connectionswap.worker.quic;

import io.connectionswap.protocol.message.Pause;
import io.netty.channel.Channel;
import java.util.concurrent.Flow;

/**
 * What one generation asks its model for: up to {@link #WINDOW} events at a time while its stream (or the
 * connection's token stream, when it has one) can take more and the director's client reads (no {@link Pause}), and
 * nothing once the generation stopped. So a director that reads slowly slows the model down. On the stream's loop.
 */
final class ModelDemand {

    /** Model events asked for at a time while the stream can take more. */
    private static final int WINDOW = 16;

    private final Channel stream;
    /** The connection's token stream, or null: the generation's frames go on {@link #stream}. */
    private final WorkerTokenStream tokens;
    private Flow.Subscription subscription;
    private int requested;
    /** Whether a top-up waits for room on the token stream. */
    private boolean waitingForRoom;
    /** The director said its client reads nothing now ({@link Pause}): ask the model for nothing more. */
    private boolean paused;
    private boolean stopped;

    ModelDemand(Channel stream, WorkerTokenStream tokens) {
        this.stream = stream;
        this.tokens = tokens;
    }

    /** The model's subscription: cancelled at once when the generation stopped before it came. */
    void subscribed(Flow.Subscription newSubscription) {
        subscription = newSubscription;
        if (stopped) {
            newSubscription.cancel();
        } else {
            topUp();
        }
    }

    /** One event asked for has come. */
    void received() {
        requested--;
    }

    /** The director's {@link Pause}: while paused, nothing more is asked for. */
    void paused(boolean pause) {
        paused = pause;
        topUp();
    }

    /** Asks the model for more while the stream (or the token stream) can take it. */
    void topUp() {
        if (subscription == null || stopped || paused) {
            return;
        }
        if (tokens != null && !tokens.isWritable()) {
            if (!waitingForRoom) {
                waitingForRoom = true;
                tokens.whenWritable(() -> {
                    waitingForRoom = false;
                    topUp();
                });
            }
            return;
        }
        if (tokens == null && !stream.isWritable()) {
            return; // the stream's writability change tops up
        }
        if (requested < WINDOW / 2) {
            int more = WINDOW - requested;
            requested += more;
            subscription.request(more);
        }
    }

    /** The generation ended: the model's work is cancelled, and a subscription that comes later too. */
    void stop() {
        stopped = true;
        if (subscription != null) {
            subscription.cancel();
        }
    }
}
