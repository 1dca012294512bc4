package io.connectionswap.client.stream;

import io.connectionswap.client.config.ClientProperties;
import io.connectionswap.client.metrics.ClientMeters;
import io.connectionswap.client.quic.DirectorConnection;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs generations one after another over the director connection, on {@code concurrency} independent lanes
 * (one stream each at a time; 1 by default). A generation's stream that ends with RETRY
 * is resumed at once on a new stream of the same connection, after the last sequence received; when no worker is
 * healthy the client waits with capped exponential backoff; when the director is gone it waits for the
 * connection to come back and resumes. Every token's sequence number is checked. Loop-confined.
 */
public final class GenerationLoop implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GenerationLoop.class);
    private static final Logger tokenLog = LoggerFactory.getLogger("io.connectionswap.client.tokens");

    private final ClientProperties properties;
    private final DirectorConnection connection;
    private final EventLoop loop;
    private final ClientMeters meters;
    private final List<GenerationListener> listeners;
    private final io.connectionswap.protocol.frame.FrameLimits frameLimits;
    private final List<Lane> lanes = new java.util.ArrayList<>();
    private volatile boolean running;
    private long generationsStarted;

    public GenerationLoop(ClientProperties properties, DirectorConnection connection, EventLoop loop, ClientMeters meters,
                          List<GenerationListener> listeners, io.connectionswap.protocol.frame.FrameLimits frameLimits) {
        this.properties = properties;
        this.connection = connection;
        this.loop = loop;
        this.meters = meters;
        this.listeners = listeners;
        this.frameLimits = frameLimits;
        for (int i = 0; i < properties.concurrency(); i++) {
            Lane lane = new Lane();
            lane.backoff = properties.retryBackoff();
            lanes.add(lane);
        }
    }

    @Override
    public void start() {
        running = true;
        connection.onConnected(channel -> {
            for (Lane lane : lanes) {
                if (lane.current == null) {
                    startNext(lane);
                } else if (!lane.streamOpen) {
                    openStream(lane); // resume after a reconnect
                }
            }
        });
        connection.start();
    }

    @Override
    public void stop() {
        running = false;
        connection.stop();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void startNext(Lane lane) {
        if (!running) {
            return;
        }
        if (properties.generations() > 0 && generationsStarted >= properties.generations()) {
            log.info("generations={} all generations done", generationsStarted);
            lane.current = null;
            return;
        }
        long number = ++generationsStarted;
        lane.current = new Generation(lane, UUID.randomUUID().toString(),
                properties.promptPrefix() + "-" + number, properties.maxTokens());
        openStream(lane);
    }

    private void openStream(Lane lane) {
        Generation generation = lane.current;
        if (!running || generation == null || lane.streamOpen) {
            return;
        }
        if (!connection.isConnected()) {
            return; // DirectorConnection calls back when it is connected again
        }
        lane.streamOpen = true;
        GenerationRequest first = GenerationRequest.completion(generation.id, generation.prompt, generation.maxTokens);
        GenerationRequest request = generation.checker.last() == 0 && generation.migrations == 0 ? first
                : new GenerationRequest(generation.id, null, generation.prompt, null, first.sampling(),
                        generation.checker.last(), generation.checker.last() == 0 ? null : generation.text.toString(),
                        generation.avoidWorker, generation.migrations, null);
        connection.openStream(new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.messages(stream, frameLimits, new GenerationStreamHandler(GenerationLoop.this, generation));
            }
        }).addListener(opened -> {
            if (opened.isSuccess()) {
                ((QuicStreamChannel) opened.getNow()).writeAndFlush(request);
            } else {
                lane.streamOpen = false;
                log.warn("generation.id={} problem=\"{}\" cannot open stream; retrying", generation.id, opened.cause().toString());
                retryAfterBackoff(generation);
            }
        });
    }

    void assigned(Generation generation, Connected connected) {
        if (!isCurrent(generation)) {
            return;
        }
        generation.servedBy(connected.worker(), connected.connectionId());
        log.info("connection.id={} worker={} stream.id={} generation.id={} resume.after={} worker assigned to stream",
                connected.connectionId(), connected.worker(), connected.streamId(), generation.id,
                connected.resumeAfter());
    }

    void token(Generation generation, Token token) {
        if (!isCurrent(generation)) {
            return;
        }
        long now = System.nanoTime();
        switch (generation.checker.accept(token.sequence())) {
            case IN_ORDER -> {
                generation.text.append(token.text());
                meters.token();
                if (generation.lastTokenNanos != 0) {
                    meters.tokenGap(now - generation.lastTokenNanos);
                }
                generation.lastTokenNanos = now;
                lane(generation).backoff = properties.retryBackoff();
                if (tokenLog.isInfoEnabled()) {
                    tokenLog.info("connection.id={} worker={} generation.id={} sequence={} received token",
                            lastConnectionId(generation), lastWorker(generation), generation.id, token.sequence());
                }
            }
            case DUPLICATE -> {
                generation.sequenceErrors++;
                meters.duplicate();
                log.error("generation.id={} sequence={} expected={} kind=duplicate token sequence error", generation.id,
                        token.sequence(), generation.checker.last() + 1);
            }
            case GAP -> {
                generation.sequenceErrors++;
                meters.gap();
                log.error("generation.id={} sequence={} kind=gap token sequence error", generation.id, token.sequence());
            }
        }
    }

    void ended(Generation generation, End end) {
        if (!isCurrent(generation)) {
            return;
        }
        lane(generation).streamOpen = false;
        if (generation.checker.last() != generation.maxTokens) {
            generation.sequenceErrors++;
            meters.gap();
            log.error("generation.id={} received={} expected={} kind=gap generation ended early", generation.id,
                    generation.checker.last(), generation.maxTokens);
        }
        meters.generationCompleted();
        GenerationResult result = generation.result();
        log.info("generation.id={} prompt={} tokens={} workers={} sequence.errors={} generation complete", generation.id,
                generation.prompt, result.tokens(), result.workers(), result.sequenceErrors());
        for (GenerationListener listener : listeners) {
            try {
                listener.generationCompleted(result);
            } catch (RuntimeException e) {
                log.warn("listener={} problem=\"{}\" generation listener failed", listener, e.toString());
            }
        }
        startNext(lane(generation));
    }

    void retry(Generation generation, Retry retry) {
        if (!isCurrent(generation)) {
            return;
        }
        lane(generation).streamOpen = false;
        meters.swap();
        generation.avoidWorker = retry.failedWorker();
        generation.migrations++;
        log.info("generation.id={} last.seq={} reason={} err=\"{}: {}\" stream ended; requesting another worker",
                generation.id, generation.checker.last(), retry.reason(), retry.failedWorker(), retry.detail());
        openStream(lane(generation));
    }

    void refused(Generation generation, StreamError error) {
        if (!isCurrent(generation)) {
            return;
        }
        lane(generation).streamOpen = false;
        if (error.code() == ErrorCode.NO_HEALTHY_WORKER) {
            meters.noWorkerWait();
            log.warn("generation.id={} last.seq={} retry.in={} no healthy worker; waiting", generation.id,
                    generation.checker.last(), lane(generation).backoff);
        } else {
            log.error("generation.id={} error={} problem=\"{}\" retry.in={} director refused the stream", generation.id,
                    error.code(), error.message(), lane(generation).backoff);
        }
        retryAfterBackoff(generation);
    }

    void broken(Generation generation, String problem) {
        if (!isCurrent(generation)) {
            return;
        }
        lane(generation).streamOpen = false;
        log.warn("generation.id={} last.seq={} problem=\"{}\" stream ended; requesting another worker err=\"{}\"",
                generation.id, generation.checker.last(), problem, problem);
        if (connection.isConnected()) {
            retryAfterBackoff(generation);
        } // otherwise the reconnect resumes it
    }

    private void retryAfterBackoff(Generation generation) {
        Lane lane = lane(generation);
        Duration wait = lane.backoff;
        Duration doubled = wait.multipliedBy(2);
        lane.backoff = doubled.compareTo(properties.retryBackoffMax()) > 0 ? properties.retryBackoffMax() : doubled;
        loop.schedule(() -> {
            if (isCurrent(generation)) {
                openStream(lane);
            }
        }, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Lane lane(Generation generation) {
        return generation.lane;
    }

    private static boolean isCurrent(Generation generation) {
        return lane(generation).current == generation;
    }

    private static String lastWorker(Generation generation) {
        return generation.workers.isEmpty() ? "?" : generation.workers.get(generation.workers.size() - 1);
    }

    private static String lastConnectionId(Generation generation) {
        return generation.connectionIds.isEmpty() ? "?" : generation.connectionIds.get(generation.connectionIds.size() - 1);
    }
}
