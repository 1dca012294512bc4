package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.swapclient.ReconnectCause;
import io.connectionswap.swapclient.SwapClientListener;
import io.connectionswap.testsupport.calls.RecordedCalls;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The guard forwards every hook, with its arguments, to the listener it guards: a hook it did not override would
 * reach the listener as the interface's default (the cause of a reconnect lost, or nothing at all).
 */
class GuardedListenerForwardingTest {

    @Test
    void everyHookIsForwardedWithItsArguments() {
        RecordedCalls<SwapClientListener> guarded = RecordedCalls.of(SwapClientListener.class);

        List<String> made = RecordedCalls.callEach(SwapClientListener.class, GuardedListener.of(guarded.target()));

        assertThat(made).contains("reconnected(DIRECTOR_LOST)", "reconnected()");
        assertThat(guarded.calls()).isEqualTo(made);
    }

    /** A listener written before the cause existed overrides {@code reconnected()}: it still counts every reconnect. */
    @Test
    void aListenerOfTheHookWithoutACauseCountsEveryReconnect() {
        AtomicInteger reconnects = new AtomicInteger();
        SwapClientListener guarded = GuardedListener.of(new SwapClientListener() {
            @Override
            public void reconnected() {
                reconnects.incrementAndGet();
            }
        });

        guarded.reconnected(ReconnectCause.DIRECTOR_LOST);
        guarded.reconnected(ReconnectCause.DIRECTOR_LEAVING);

        assertThat(reconnects).hasValue(2);
    }
}
