package io.connectionswap.client.gateway;

import io.connectionswap.client.tracing.GatewaySpan;
import io.connectionswap.client.tracing.GatewayTracing;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.tracing.TraceParent;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.SwapClient;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.adapter.JdkFlowAdapter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions}: each HTTP request is one generation of the
 * {@link SwapClient}, so one stream of the gateway's single QUIC connection. Nothing is written before the first
 * event of the generation, so a request that cannot start (no healthy worker after the bounded wait, unknown model)
 * gets its HTTP status and OpenAI error JSON; a stream that fails after that ends with an SSE error event. A stream
 * silent after its first chunk gets SSE comments ({@link SseKeepAlive}) so that proxies do not cut it. An HTTP
 * client that goes away cancels the subscription, which ends the generation on the director and the worker.
 * Back-pressure runs end to end: reactor-netty asks for the next chunk only while the socket takes more.
 */
final class CompletionsHandler {

    private static final Logger log = LoggerFactory.getLogger(CompletionsHandler.class);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

    private final SwapClient client;
    private final GatewayProperties properties;
    private final OpenAiRequestParser parser;
    private final RequestBytesBudget budget;
    private final AnswersInFlight answers;
    private final SseKeepAlive keepAlive;
    /** Null while tracing is off. */
    private final GatewayTracing tracing;

    /**
     * {@code tracing}: a span per generation, or null (off: a valid {@code traceparent} header passes through);
     * {@code budget}: the gateway's request bytes, held by each request from before its body is read to its answer's end;
     * {@code answers}: where each generation is registered while it runs, to be ended if the gateway shuts down first;
     * {@code keepAlive}: the comments of a streamed answer's silences.
     */
    CompletionsHandler(SwapClient client, GatewayProperties properties, GatewayTracing tracing,
                       RequestBytesBudget budget, AnswersInFlight answers, SseKeepAlive keepAlive) {
        this.client = client;
        this.keepAlive = keepAlive;
        this.budget = budget;
        this.answers = answers;
        this.tracing = tracing;
        this.properties = properties;
        this.parser = new OpenAiRequestParser(properties.defaultMaxTokens(), properties.maxTokensLimit());
    }

    Mono<ServerResponse> completions(ServerRequest request) {
        return handle(request, false);
    }

    Mono<ServerResponse> chatCompletions(ServerRequest request) {
        return handle(request, true);
    }

    private Mono<ServerResponse> handle(ServerRequest http, boolean chat) {
        long limit = properties.maxRequestSize().toBytes();
        long declared = http.headers().contentLength().orElse(-1);
        if (declared > limit) {
            return Mono.error(GatewayError.tooLarge(limit));
        }
        // reserved as its buffers arrive (declared or chunked: a head alone holds nothing); held until the answer
        // ends: a running generation keeps its prompt for resumes
        RequestBytesBudget.Reservation reservation = budget.open();
        return RequestBodyBytes.read(http.body(BodyExtractors.toDataBuffers()), declared, (int) limit, reservation,
                this::busy)
                // the parse off the HTTP event loop (a large body's would hold up every other stream of that loop);
                // only the parse: the body's own failure (the connection closed under it) stays on the loop, reaching
                // the error handler before the exchange is cancelled
                .flatMap(bytes -> Mono.fromCallable(() -> parser.parse(bytes, chat))
                        .subscribeOn(Schedulers.boundedElastic()))
                .flatMap(request -> request.stream() ? stream(http, request, reservation)
                        : collect(http, request, reservation))
                // a streamed answer gives it back when its stream ends (stream), an answer collected when its
                // generation ends (collect), a request refused or left before its answer now
                .doOnError(failure -> reservation.release())
                .doOnCancel(reservation::release);
    }

    private GatewayError busy() {
        return GatewayError.gatewayBusy(budget.capacity(), retryAfterSeconds());
    }

    /** The {@code Retry-After} of the gateway's 503s: at least a second. */
    private long retryAfterSeconds() {
        return Math.max(1, properties.retryAfter().toSeconds());
    }

    private Flux<GenerationEvent> generate(ServerRequest http, OpenAiRequest request, String generationId) {
        GatewaySpan span = tracing == null ? null : tracing.start(http, generationId, request.model(), request.stream());
        String traceparent = span != null ? span.traceparent()
                : TraceParent.validOrNull(http.headers().firstHeader(TraceParent.HEADER));
        Flux<GenerationEvent> events = answers.endable(JdkFlowAdapter.flowPublisherToFlux(client.generate(
                request.toGeneration(generationId, traceparent), GenerationOptions.waitAtMost(properties.workerWait()))),
                () -> GatewayError.shuttingDown(retryAfterSeconds()));
        return span == null ? events : span.record(events);
    }

    private Mono<ServerResponse> stream(ServerRequest http, OpenAiRequest request,
                                        RequestBytesBudget.Reservation reservation) {
        String generationId = RequestIds.assign(http);
        ChunkWriter writer = new ChunkWriter(request, new OpenAiResponses(request, generationId,
                Instant.now().getEpochSecond()));
        AtomicBoolean started = new AtomicBoolean();
        AtomicBoolean failed = new AtomicBoolean(); // ended by an error event, logged as such
        long startNanos = System.nanoTime();
        // the generation's failure waits for the events it delivered before it (concatMapIterable drops those still
        // queued when the failure comes: a slow reader lost tokens before the error event)
        Flux<byte[]> chunks = generate(http, request, generationId)
                .concatMapDelayError(event -> Flux.fromIterable(writer.sse(event)).map(CompletionsHandler::sse))
                .doOnNext(chunk -> started.set(true))
                .concatWith(Mono.just(DONE))
                .onErrorResume(failure -> {
                    if (!started.get()) {
                        // nothing sent yet: an HTTP error status
                        return translate(failure, request).flatMap(Mono::error);
                    }
                    GatewayError error = translateNow(failure, request);
                    failed.set(true);
                    // ended by the gateway's shutdown: GatewayShutdown's one line counts them
                    LogLine line = GatewayError.SHUTTING_DOWN.equals(error.code()) ? LogLine.debug(log)
                            : LogLine.warn(log);
                    line.field("generation.id", generationId).field("model", request.model())
                            .field("tokens", writer.tokens()).field("error", error.code())
                            .quoted("problem", error.operatorDetail())
                            .log("stream failed after its headers; sending an error event");
                    return Mono.just(sse(OpenAiResponses.error(error).toString()));
                })
                .doOnComplete(() -> {
                    if (!failed.get()) {
                        LogLine.info(log).field("generation.id", generationId).field("model", request.model())
                                .field("streaming", true).field("tokens", writer.tokens())
                                .field("workers", writer.workers()).field("swaps", writer.swaps())
                                .field("ms", (System.nanoTime() - startNanos) / 1_000_000).log("gateway request done");
                    }
                })
                .doOnCancel(() -> logClientWentAway(generationId, request, writer, true))
                .doFinally(signal -> reservation.release()); // completed, failed or cancelled (client gone)
        return ServerResponse.ok()
                .header(RequestIds.HEADER, generationId)
                .contentType(MediaType.TEXT_EVENT_STREAM)
                .header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no")
                .body(flushEach(keepAlive.around(chunks)));
    }

    /** The HTTP client closed its connection (or the write timeout did) before the answer was complete. */
    private static void logClientWentAway(String generationId, OpenAiRequest request, ChunkWriter writer,
                                          boolean streaming) {
        LogLine.info(log).field("generation.id", generationId).field("model", request.model())
                .field("streaming", streaming).field("tokens", writer.tokens())
                .log("http client went away; generation cancelled");
    }

    private Mono<ServerResponse> collect(ServerRequest http, OpenAiRequest request,
                                         RequestBytesBudget.Reservation reservation) {
        String generationId = RequestIds.assign(http);
        ChunkWriter writer = new ChunkWriter(request, new OpenAiResponses(request, generationId,
                Instant.now().getEpochSecond()));
        long startNanos = System.nanoTime();
        return generate(http, request, generationId)
                .doOnCancel(() -> logClientWentAway(generationId, request, writer, false))
                .doOnNext(writer::collect)
                .then(Mono.fromSupplier(writer::body))
                .onErrorResume(failure -> translate(failure, request).flatMap(Mono::error))
                .flatMap(body -> {
                    LogLine.info(log).field("generation.id", generationId).field("model", request.model())
                            .field("streaming", false).field("tokens", writer.tokens())
                            .field("workers", writer.workers()).field("swaps", writer.swaps())
                            .field("ms", (System.nanoTime() - startNanos) / 1_000_000).log("gateway request done");
                    return ServerResponse.ok().header(RequestIds.HEADER, generationId)
                            .contentType(MediaType.APPLICATION_JSON).bodyValue(body);
                })
                .doFinally(signal -> reservation.release());
    }

    /**
     * The HTTP error for a generation that failed before anything was sent. MODEL_NOT_FOUND while the director knows
     * no worker at all (all are starting, or all are gone) is a 503, not a 404: the model may well exist.
     */
    private Mono<GatewayError> translate(Throwable failure, OpenAiRequest request) {
        GatewayError error = translateNow(failure, request);
        if (!(failure instanceof GenerationException generation)
                || generation.code() != io.connectionswap.protocol.frame.ErrorCode.MODEL_NOT_FOUND) {
            return Mono.just(error);
        }
        return Mono.fromFuture(client::status)
                .map(status -> status.workers().isEmpty()
                        ? GatewayError.noHealthyWorker("the director knows no worker yet; retry later",
                                retryAfterSeconds())
                        : error)
                .onErrorReturn(error);
    }

    private GatewayError translateNow(Throwable failure, OpenAiRequest request) {
        if (failure instanceof GatewayError error) {
            return error;
        }
        if (failure instanceof GenerationException generation) {
            return GatewayError.of(generation, request.model(), client.connectionState().connected(),
                    retryAfterSeconds());
        }
        LogLine.error(log).field("model", request.model()).quoted("problem", failure.toString()).cause(failure)
                .log("unexpected gateway failure");
        return GatewayError.internal(failure);
    }

    private static byte[] sse(String json) {
        return ("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Writes each SSE event and flushes it at once. */
    private static BodyInserter<Flux<byte[]>, ReactiveHttpOutputMessage> flushEach(Flux<byte[]> chunks) {
        return new BodyInserter<>() {
            @Override
            public Mono<Void> insert(ReactiveHttpOutputMessage message, Context context) {
                DataBufferFactory factory = message.bufferFactory();
                Flux<Publisher<DataBuffer>> flushed = chunks.map(bytes -> Mono.just(factory.wrap(bytes)));
                return message.writeAndFlushWith(flushed);
            }
        };
    }
}
