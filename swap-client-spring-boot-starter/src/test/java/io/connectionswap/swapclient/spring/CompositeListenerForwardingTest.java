package io.connectionswap.swapclient.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.swapclient.SwapClientListener;
import io.connectionswap.testsupport.calls.RecordedCalls;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The composite forwards every hook, with its arguments, to each listener bean: a hook it did not override would
 * reach them as the interface's default (client-service's meters would lose the cause of a reconnect).
 */
class CompositeListenerForwardingTest {

    @Test
    void everyHookIsForwardedWithItsArgumentsToEachListener() {
        RecordedCalls<SwapClientListener> first = RecordedCalls.of(SwapClientListener.class);
        RecordedCalls<SwapClientListener> second = RecordedCalls.of(SwapClientListener.class);

        List<String> made = RecordedCalls.callEach(SwapClientListener.class,
                CompositeSwapClientListener.of(List.of(first.target(), second.target())));

        assertThat(made).contains("reconnected(DIRECTOR_LOST)", "reconnected()");
        assertThat(first.calls()).isEqualTo(made);
        assertThat(second.calls()).isEqualTo(made);
    }
}
