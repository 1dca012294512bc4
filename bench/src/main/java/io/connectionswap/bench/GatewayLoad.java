package io.connectionswap.bench;

import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.SwapClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * N concurrent completion streams of the timestamping model, each restarted as soon as it completes, read one of two
 * ways: through the gateway (HTTP/SSE, {@link SseClient}) or directly with the client library ({@link SwapClient}) on
 * the bench's own QUIC connection. Each token's text is its emit time on this JVM's clock, so a token's latency is
 * receive minus emit; time to first token is request start to the first token's arrival.
 */
final class GatewayLoad {

    enum Path { GATEWAY, LIBRARY }

    /** What one segment measured. */
    record Sample(Histogram tokenLatencyNanos, List<Double> ttftMillis, long tokens, long requests, long problems,
                  List<String> problemExamples) {
    }

    private final Path path;
    private final int streams;
    private final int maxTokens;
    private final SwapClient library;
    private final SseClient http;
    private final String gatewayUrl;
    private final java.nio.file.Path dumpDirectory;
    private final Recorder latency = new Recorder(3);
    private final List<Double> ttft = Collections.synchronizedList(new ArrayList<>());
    private final List<String> problemExamples = Collections.synchronizedList(new ArrayList<>());
    private final LongAdder tokens = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private final LongAdder problems = new LongAdder();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger started = new AtomicInteger();
    private volatile boolean running = true;
    private volatile boolean recording;

    GatewayLoad(Path path, int streams, int maxTokens, SwapClient library, SseClient http, String gatewayUrl,
                java.nio.file.Path dumpDirectory) {
        this.path = path;
        this.streams = streams;
        this.maxTokens = maxTokens;
        this.library = library;
        this.http = http;
        this.gatewayUrl = gatewayUrl;
        this.dumpDirectory = dumpDirectory;
    }

    /** Starts the streams, waits {@code settle}, measures for {@code window}, then lets every stream finish. */
    Sample run(Duration settle, Duration window) {
        for (int i = 0; i < streams; i++) {
            active.incrementAndGet();
            next(i);
        }
        Histogram measured;
        long tokensInWindow;
        long requestsInWindow;
        try {
            Waits.sleep(settle);
            latency.getIntervalHistogram();
            recording = true;
            long tokens0 = tokens.sum();
            long requests0 = requests.sum();
            Waits.sleep(window);
            recording = false;
            measured = latency.getIntervalHistogram();
            tokensInWindow = tokens.sum() - tokens0;
            requestsInWindow = requests.sum() - requests0;
        } finally {
            running = false;
            if (!Waits.poll(Duration.ofSeconds(20), () -> active.get() == 0)) {
                problem(active.get() + " " + path + " streams did not complete within 20 s of the segment's end");
                Console.say("gateway: %d %s streams still running 20 s after the segment; threads: %s", active.get(), path,
                        ThreadDump.write(dumpDirectory, "gateway-" + path.name().toLowerCase()));
            }
        }
        List<Double> ttftSamples;
        synchronized (ttft) {
            ttftSamples = List.copyOf(ttft);
        }
        List<String> examples;
        synchronized (problemExamples) {
            examples = List.copyOf(problemExamples);
        }
        return new Sample(measured, ttftSamples, tokensInWindow, requestsInWindow, problems.sum(), examples);
    }

    /** The next request of stream {@code index}, or the end of that stream once the segment is over. */
    private void next(int index) {
        if (!running) {
            active.decrementAndGet();
            return;
        }
        String prompt = "gateway-bench " + path.name().toLowerCase() + " " + index + " " + started.incrementAndGet();
        if (path == Path.GATEWAY) {
            viaGateway(index, prompt);
        } else {
            viaLibrary(index, prompt);
        }
    }

    private void viaGateway(int index, String prompt) {
        CompletionStream stream = new CompletionStream("stand-in", prompt, maxTokens, this::token);
        http.start(gatewayUrl, stream).whenComplete((done, failure) -> {
            if (failure != null || done.status != 200 || !done.done || done.chunks != maxTokens) {
                problem("gateway: " + (failure != null ? failure : done.describe() + " " + done.errorBody()));
            } else {
                requests.increment();
            }
            next(index);
        });
    }

    private void token(CompletionStream stream, String text, long nanos) {
        if (stream.chunks == 0) {
            firstToken(stream.sentNanos, nanos);
        }
        tokenLatency(text, nanos);
    }

    private void viaLibrary(int index, String prompt) {
        long start = System.nanoTime();
        library.completion("stand-in", prompt, SamplingParameters.maxTokens(maxTokens)).subscribe(new Flow.Subscriber<>() {
            private boolean first = true;

            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(GenerationEvent event) {
                if (event instanceof GenerationEvent.Token token) {
                    long now = System.nanoTime();
                    if (first) {
                        first = false;
                        firstToken(start, now);
                    }
                    tokenLatency(token.text(), now);
                }
            }

            @Override
            public void onError(Throwable failure) {
                problem("library: " + failure);
                next(index);
            }

            @Override
            public void onComplete() {
                requests.increment();
                next(index);
            }
        });
    }

    private void firstToken(long startNanos, long nanos) {
        if (recording) {
            ttft.add((nanos - startNanos) / 1e6);
        }
    }

    private void tokenLatency(String text, long nanos) {
        tokens.increment();
        long emitted = emittedNanos(text);
        if (recording && emitted > 0 && nanos > emitted) {
            latency.recordValue(nanos - emitted);
        }
    }

    private void problem(String what) {
        problems.increment();
        if (problemExamples.size() < 5) {
            problemExamples.add(what);
        }
    }

    /** {@code t<digits>}: the emit time the bench's timestamping model wrote, or -1. */
    static long emittedNanos(String text) {
        if (text.length() < 2 || text.charAt(0) != 't') {
            return -1;
        }
        try {
            return Long.parseLong(text, 1, text.length(), 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
