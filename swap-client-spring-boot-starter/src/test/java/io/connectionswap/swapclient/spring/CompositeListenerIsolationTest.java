package io.connectionswap.swapclient.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.swapclient.SwapClientListener;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Two SwapClientListener beans: the application's own and the metrics one (client-service's Micrometer listener).
 * The builder guards the listener it is given once (GuardedListener), and the starter gives it the composite: a
 * first listener that throws ends the composite's loop, and every later listener misses the event.
 */
class CompositeListenerIsolationTest {

    @Test
    void aListenerThatThrowsDoesNotKeepTheEventFromTheNextListener() {
        AtomicInteger counted = new AtomicInteger();
        SwapClientListener composite = CompositeSwapClientListener.of(List.of(
                new SwapClientListener() {
                    @Override
                    public void tokenReceived() {
                        throw new IllegalStateException("an application's listener with a bug");
                    }
                },
                new SwapClientListener() {
                    @Override
                    public void tokenReceived() {
                        counted.incrementAndGet();
                    }
                }));
        try {
            composite.tokenReceived(); // the client's GuardedListener catches and logs what comes out here
        } catch (RuntimeException logged) {
            // as the guard would
        }
        assertThat(counted).as("swap_client_tokens_total of the second listener").hasValue(1);
    }
}
