package io.connectionswap.swapclient.spring;

import io.connectionswap.swapclient.SwapClient;
import org.springframework.context.SmartLifecycle;

/**
 * Connects the client when the context starts and closes it when the context stops. Its phase is low, so it starts
 * before and stops after the web server (whose graceful shutdown lets HTTP streams on the client finish first).
 */
public final class SwapClientLifecycle implements SmartLifecycle {

    /** Below the web server's graceful-shutdown phase. */
    public static final int PHASE = 0;

    private final SwapClient client;
    private volatile boolean running;

    public SwapClientLifecycle(SwapClient client) {
        this.client = client;
    }

    @Override
    public void start() {
        client.start();
        running = true;
    }

    /**
     * Closes the client off the thread that stops the context (closing waits for the client's loop, up to seconds), so
     * the other beans of this phase stop meanwhile; Spring waits for {@code callback} (its shutdown-phase timeout).
     */
    @Override
    public void stop(Runnable callback) {
        running = false;
        Thread closer = new Thread(() -> {
            try {
                client.close();
            } finally {
                callback.run();
            }
        }, "swap-client-close");
        closer.setDaemon(true);
        closer.start();
    }

    /** Closes the client now, on the caller's thread (Spring calls {@link #stop(Runnable)}). */
    @Override
    public void stop() {
        running = false;
        client.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
