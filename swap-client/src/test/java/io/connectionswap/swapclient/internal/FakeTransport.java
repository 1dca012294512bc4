package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.message.GenerationRequest;
import java.util.ArrayList;
import java.util.List;

/** Records the legs a generation opens; a test plays the director's side through each leg's events. */
final class FakeTransport implements Transport {

    static final class FakeLeg implements Leg {
        final GenerationRequest request;
        final LegEvents events;
        final List<Boolean> reads = new ArrayList<>();
        boolean cancelled;

        FakeLeg(GenerationRequest request, LegEvents events) {
            this.request = request;
            this.events = events;
        }

        @Override
        public void read(boolean enabled) {
            reads.add(enabled);
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    final List<FakeLeg> legs = new ArrayList<>();
    final List<Runnable> waiters = new ArrayList<>();
    boolean connected = true;
    String problem;

    @Override
    public boolean isConnected() {
        return connected;
    }

    @Override
    public Leg open(GenerationRequest request, LegEvents events) {
        FakeLeg leg = new FakeLeg(request, events);
        legs.add(leg);
        return leg;
    }

    @Override
    public ClientLoop.Cancellable awaitConnection(Runnable onConnected) {
        waiters.add(onConnected);
        return () -> waiters.remove(onConnected);
    }

    @Override
    public String connectionProblem() {
        return problem;
    }

    void connect() {
        connected = true;
        List<Runnable> ready = new ArrayList<>(waiters);
        waiters.clear();
        ready.forEach(Runnable::run);
    }

    FakeLeg last() {
        return legs.get(legs.size() - 1);
    }
}
