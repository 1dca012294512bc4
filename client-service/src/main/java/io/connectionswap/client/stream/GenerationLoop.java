package io.connectionswap.client.stream;

import io.connectionswap.client.config.ClientProperties;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.PromptDigest;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.SwapClient;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The demo ({@code CONNECTION_SWAP_CLIENT_DEMO=true}): runs generations one after another on {@code concurrency}
 * lanes, each a generation of the client library on the one director connection. Swaps, resumes, backoff and
 * sequence checks all happen in the library; this loop only starts the next generation and reports finished ones.
 */
public final class GenerationLoop implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GenerationLoop.class);

    private final ClientProperties properties;
    private final SwapClient client;
    private final List<GenerationListener> listeners;
    private final AtomicLong started = new AtomicLong();
    private final ScheduledExecutorService pause = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "client-demo");
        thread.setDaemon(true);
        return thread;
    });
    private final List<Flow.Subscription> current = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean running;

    public GenerationLoop(ClientProperties properties, SwapClient client, List<GenerationListener> listeners) {
        this.properties = properties;
        this.client = client;
        this.listeners = listeners;
    }

    @Override
    public void start() {
        running = true;
        LogLine.info(log).field("lanes", properties.concurrency()).field("max.tokens", properties.maxTokens())
                .log("demo generation loop started");
        for (int i = 0; i < properties.concurrency(); i++) {
            startNext();
        }
    }

    @Override
    public void stop() {
        running = false;
        current.forEach(Flow.Subscription::cancel);
        pause.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void startNext() {
        if (!running) {
            return;
        }
        long number = started.incrementAndGet();
        if (properties.generations() > 0 && number > properties.generations()) {
            LogLine.info(log).field("generations", properties.generations()).log("all generations done");
            return;
        }
        GenerationRequest request = GenerationRequest.completion(UUID.randomUUID().toString(),
                properties.promptPrefix() + "-" + number, properties.maxTokens());
        client.generate(request, GenerationOptions.WAIT_FOREVER).subscribe(new Lane(request));
    }

    /** One generation of the loop: collects what arrives, reports it, starts the next. */
    private final class Lane implements Flow.Subscriber<GenerationEvent> {
        private final GenerationRequest request;
        private final StringBuilder text = new StringBuilder();
        private final List<String> workers = new ArrayList<>();
        private final List<String> connectionIds = new ArrayList<>();
        private Flow.Subscription subscription;

        Lane(GenerationRequest request) {
            this.request = request;
        }

        @Override
        public void onSubscribe(Flow.Subscription newSubscription) {
            subscription = newSubscription;
            current.add(newSubscription);
            newSubscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(GenerationEvent event) {
            if (event instanceof GenerationEvent.Token token) {
                text.append(token.text());
            } else if (event instanceof GenerationEvent.Assigned assigned) {
                workers.add(assigned.worker());
                if (!connectionIds.contains(assigned.connectionId())) {
                    connectionIds.add(assigned.connectionId());
                }
            } else if (event instanceof GenerationEvent.Completed completed) {
                GenerationResult result = new GenerationResult(request.generationId(), request.prompt(),
                        text.toString(), completed.tokens(), List.copyOf(workers), List.copyOf(connectionIds),
                        completed.sequenceErrors());
                LogLine.info(log).field("generation.id", result.generationId())
                        .field("prompt", PromptDigest.of(result.prompt())).field("tokens", result.tokens())
                        .field("workers", result.workers()).field("sequence.errors", result.sequenceErrors())
                        .log("generation complete");
                for (GenerationListener listener : listeners) {
                    try {
                        listener.generationCompleted(result);
                    } catch (RuntimeException e) {
                        LogLine.warn(log).field("listener", listener).quoted("problem", e.toString())
                                .log("generation listener failed");
                    }
                }
            }
        }

        @Override
        public void onError(Throwable failure) {
            current.remove(subscription);
            if (!running) {
                return;
            }
            LogLine.warn(log).field("generation.id", request.generationId())
                    .field("prompt", PromptDigest.of(request.prompt())).quoted("problem", failure.getMessage())
                    .log("generation failed; starting the next in 1s");
            try {
                pause.schedule(GenerationLoop.this::startNext, 1, TimeUnit.SECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                // stopping
            }
        }

        @Override
        public void onComplete() {
            current.remove(subscription);
            startNext();
        }
    }
}
