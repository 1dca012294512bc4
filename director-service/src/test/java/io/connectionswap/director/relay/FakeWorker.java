package io.connectionswap.director.relay;

import io.connectionswap.protocol.message.WorkerAssignment;

/** A worker side that records what the session did to it. */
final class FakeWorker implements WorkerSide {
    WorkerAssignment assignment;
    boolean cancelled;
    boolean closed;
    boolean reading = true;
    boolean connectionActive = true;

    @Override
    public void assign(WorkerAssignment assignment) {
        this.assignment = assignment;
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public void read(boolean enabled) {
        reading = enabled;
    }

    @Override
    public boolean connectionActive() {
        return connectionActive;
    }
}
