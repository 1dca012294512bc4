package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.swapclient.ReconnectCause;
import io.connectionswap.swapclient.SequenceErrorKind;
import io.connectionswap.swapclient.SwapClientListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The application's {@link SwapClientListener} with its failures kept away from the streams: a metrics hook that
 * throws (a registry already closed, a bug; anything, an Error too) is logged, at WARN the first time for each hook and kind of failure and
 * then at DEBUG with a reminder every few minutes, and the token, swap or connection it was told of goes on as if it
 * had returned. Left to the caller, the exception broke the leg after the token had been counted as delivered, so
 * the resume began after a token the subscriber never got.
 */
public final class GuardedListener implements SwapClientListener {

    private static final Logger log = LoggerFactory.getLogger(GuardedListener.class);

    private final SwapClientListener listener;
    private final RepeatedProblems failures = RepeatedProblems.withDefaults();

    private GuardedListener(SwapClientListener listener) {
        this.listener = listener;
    }

    /** {@code listener} guarded; {@link SwapClientListener#NONE} and a guarded listener as they are. */
    public static SwapClientListener of(SwapClientListener listener) {
        return listener == SwapClientListener.NONE || listener instanceof GuardedListener ? listener
                : new GuardedListener(listener);
    }

    @Override
    public void tokenReceived() {
        try {
            listener.tokenReceived();
        } catch (Throwable e) {
            threw("tokenReceived", e);
        }
    }

    @Override
    public void timeToFirstToken(long nanos) {
        try {
            listener.timeToFirstToken(nanos);
        } catch (Throwable e) {
            threw("timeToFirstToken", e);
        }
    }

    @Override
    public void tokenGap(long nanos) {
        try {
            listener.tokenGap(nanos);
        } catch (Throwable e) {
            threw("tokenGap", e);
        }
    }

    @Override
    public void swapped(String reason) {
        try {
            listener.swapped(reason);
        } catch (Throwable e) {
            threw("swapped", e);
        }
    }

    @Override
    public void sequenceError(SequenceErrorKind kind) {
        try {
            listener.sequenceError(kind);
        } catch (Throwable e) {
            threw("sequenceError", e);
        }
    }

    @Override
    public void reconnected(ReconnectCause cause) {
        try {
            listener.reconnected(cause);
        } catch (Throwable e) {
            threw("reconnected", e);
        }
    }

    @Override
    public void reconnected() {
        try {
            listener.reconnected();
        } catch (Throwable e) {
            threw("reconnected", e);
        }
    }

    @Override
    public void generationCompleted() {
        try {
            listener.generationCompleted();
        } catch (Throwable e) {
            threw("generationCompleted", e);
        }
    }

    @Override
    public void noHealthyWorker() {
        try {
            listener.noHealthyWorker();
        } catch (Throwable e) {
            threw("noHealthyWorker", e);
        }
    }

    /**
     * Anything a hook throws (an Error too: a linkage error in a metrics library, an assertion in a test's listener)
     * stops here: thrown on, it would break the leg or reach the stream's read path. A {@link VirtualMachineError} is
     * logged at ERROR (Netty would only log it there too), the others at WARN, then DEBUG with reminders.
     */
    private void threw(String hook, Throwable e) {
        Level first = e instanceof VirtualMachineError ? Level.ERROR : Level.WARN;
        RepeatedProblems.Occurrence occurrence = failures.occurred(hook + " " + e.getClass().getName(), first);
        occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("hook", hook).quoted("problem", e.toString()))
                .log("SwapClientListener threw; ignored, the stream goes on");
    }
}
