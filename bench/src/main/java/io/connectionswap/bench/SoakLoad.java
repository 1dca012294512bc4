package io.connectionswap.bench;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.SequenceErrorKind;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.swapclient.SwapClientListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The chaos soak's traffic: {@code lanes} generations at a time, spread over several {@link SwapClient}s (each one
 * QUIC connection to the director), one after another on every lane. Each generation's text is compared with the
 * stand-in model's; how each one ended is counted (completed, the migration limit, anything else); every swap's gap
 * is recorded by cause, and across a director restart the pause from a lane's last token before it to its first
 * after it ({@code director_restart}). Callbacks come on the clients' I/O threads and only count.
 */
final class SoakLoad {

    static final String DIRECTOR_RESTART = "director_restart";
    private static final DeterministicTokenModel MODEL = new DeterministicTokenModel();

    private final int tokens;
    private final List<Lane> lanes = new ArrayList<>();
    private final Map<String, Histogram> gapsMicros = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
    final AtomicLong started = new AtomicLong();
    final AtomicLong completed = new AtomicLong();
    final AtomicLong migrationLimit = new AtomicLong();
    final AtomicLong wrongText = new AtomicLong();
    final AtomicLong sequenceErrors = new AtomicLong();
    final AtomicLong reconnects = new AtomicLong();
    final AtomicLong tokensReceived = new AtomicLong();
    private volatile boolean running;

    SoakLoad(List<SwapClient> clients, int lanes, int tokens) {
        this.tokens = tokens;
        for (int i = 0; i < lanes; i++) {
            this.lanes.add(new Lane(i, clients.get(i % clients.size())));
        }
    }

    /** The metrics hooks every client of this load reports to. */
    static SwapClientListener listener(SoakLoad[] load) {
        return new SwapClientListener() {
            @Override
            public void sequenceError(SequenceErrorKind kind) {
                load[0].sequenceErrors.incrementAndGet();
            }

            @Override
            public void reconnected() {
                load[0].reconnects.incrementAndGet();
            }

            @Override
            public void tokenReceived() {
                load[0].tokensReceived.incrementAndGet();
            }
        };
    }

    void start() {
        running = true;
        lanes.forEach(Lane::next);
    }

    /** No new generations; those in flight run to their end. */
    void stopStarting() {
        running = false;
    }

    long inFlight() {
        return lanes.stream().filter(lane -> lane.busy).count();
    }

    /** The director goes away now: the next token of every lane in flight measures the pause. */
    void directorRestarting() {
        for (Lane lane : lanes) {
            if (lane.busy && lane.lastTokenNanos != 0) {
                lane.pausedSince = lane.lastTokenNanos;
            }
        }
    }

    Map<String, Histogram> gaps() {
        Map<String, Histogram> copy = new java.util.TreeMap<>();
        gapsMicros.forEach((cause, histogram) -> {
            synchronized (histogram) {
                copy.put(cause, histogram.copy());
            }
        });
        return copy;
    }

    Map<String, Long> failures() {
        Map<String, Long> copy = new java.util.TreeMap<>();
        failures.forEach((code, count) -> copy.put(code, count.get()));
        return copy;
    }

    private void gap(String cause, long nanos) {
        Histogram histogram = gapsMicros.computeIfAbsent(cause, key -> new Histogram(3_600_000_000L, 3));
        synchronized (histogram) {
            histogram.recordValue(Math.max(0, Math.min(nanos / 1000, 3_600_000_000L)));
        }
    }

    /** One lane: a generation, then the next, until the load stops. */
    private final class Lane implements Flow.Subscriber<GenerationEvent> {
        private final int index;
        private final SwapClient client;
        private final StringBuilder text = new StringBuilder();
        private String prompt;
        private int generation;
        private volatile boolean busy;
        private volatile long lastTokenNanos;
        private volatile long pausedSince;

        Lane(int index, SwapClient client) {
            this.index = index;
            this.client = client;
        }

        void next() {
            if (!running) {
                busy = false;
                return;
            }
            busy = true;
            text.setLength(0);
            lastTokenNanos = 0;
            pausedSince = 0;
            prompt = "soak lane " + index + " generation " + (++generation);
            started.incrementAndGet();
            // as the demo loop: a lane waits out any outage (the soak counts generations lost, not outages)
            client.completion(DeterministicTokenModel.MODEL_NAME, prompt, SamplingParameters.maxTokens(tokens),
                    GenerationOptions.WAIT_FOREVER).subscribe(this);
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(GenerationEvent event) {
            if (event instanceof GenerationEvent.Token token) {
                long now = System.nanoTime();
                if (pausedSince != 0) {
                    gap(DIRECTOR_RESTART, now - pausedSince);
                    pausedSince = 0;
                }
                lastTokenNanos = now;
                text.append(token.text());
            } else if (event instanceof GenerationEvent.Swapped swapped
                    && !GenerationEvent.Swapped.DIRECTOR_LOST.equals(swapped.reason())) {
                // the client's own move after losing the director is the restart's pause, counted above once
                gap(swapped.reason(), swapped.gap().toNanos());
            }
        }

        @Override
        public void onError(Throwable failure) {
            if (failure instanceof GenerationException generation && generation.code() == ErrorCode.MIGRATION_LIMIT) {
                migrationLimit.incrementAndGet();
            } else {
                String code = failure instanceof GenerationException generation ? generation.code().name()
                        : failure.getClass().getSimpleName();
                failures.computeIfAbsent(code, key -> new AtomicLong()).incrementAndGet();
            }
            next();
        }

        @Override
        public void onComplete() {
            if (text.toString().equals(MODEL.text(prompt, 1, tokens))) {
                completed.incrementAndGet();
            } else {
                wrongText.incrementAndGet();
            }
            next();
        }
    }

    /** Waits until no generation is in flight, at most {@code timeout}; returns what is still in flight. */
    long awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return inFlight();
    }
}
