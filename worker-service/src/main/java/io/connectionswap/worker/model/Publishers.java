package io.connectionswap.worker.model;

import java.util.concurrent.Flow;

/** Small publishers for backends. */
public final class Publishers {

    private Publishers() {
    }

    /** A publisher that fails every subscriber at once with {@code cause}. */
    public static <T> Flow.Publisher<T> failed(Throwable cause) {
        return subscriber -> {
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            subscriber.onError(cause);
        };
    }
}
