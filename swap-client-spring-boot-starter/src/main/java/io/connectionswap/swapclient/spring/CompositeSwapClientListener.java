package io.connectionswap.swapclient.spring;

import io.connectionswap.swapclient.ReconnectCause;
import io.connectionswap.swapclient.SequenceErrorKind;
import io.connectionswap.swapclient.SwapClientListener;
import io.connectionswap.swapclient.internal.GuardedListener;
import java.util.List;

/**
 * Every {@link SwapClientListener} bean, called in order, each guarded on its own ({@link GuardedListener}): one that
 * throws is logged and does not keep the event from the ones after it (client-service's meters among them).
 */
final class CompositeSwapClientListener implements SwapClientListener {

    private final List<SwapClientListener> listeners;

    CompositeSwapClientListener(List<SwapClientListener> listeners) {
        this.listeners = listeners.stream().map(GuardedListener::of).toList();
    }

    static SwapClientListener of(List<SwapClientListener> listeners) {
        return listeners.isEmpty() ? SwapClientListener.NONE
                : listeners.size() == 1 ? listeners.get(0) : new CompositeSwapClientListener(listeners);
    }

    @Override
    public void tokenReceived() {
        listeners.forEach(SwapClientListener::tokenReceived);
    }

    @Override
    public void timeToFirstToken(long nanos) {
        listeners.forEach(listener -> listener.timeToFirstToken(nanos));
    }

    @Override
    public void tokenGap(long nanos) {
        listeners.forEach(listener -> listener.tokenGap(nanos));
    }

    @Override
    public void swapped(String reason) {
        listeners.forEach(listener -> listener.swapped(reason));
    }

    @Override
    public void sequenceError(SequenceErrorKind kind) {
        listeners.forEach(listener -> listener.sequenceError(kind));
    }

    @Override
    public void reconnected(ReconnectCause cause) {
        listeners.forEach(listener -> listener.reconnected(cause));
    }

    @Override
    public void reconnected() {
        listeners.forEach(SwapClientListener::reconnected);
    }

    @Override
    public void generationCompleted() {
        listeners.forEach(SwapClientListener::generationCompleted);
    }

    @Override
    public void noHealthyWorker() {
        listeners.forEach(SwapClientListener::noHealthyWorker);
    }
}
