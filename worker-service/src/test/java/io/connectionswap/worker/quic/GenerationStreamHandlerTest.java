package io.connectionswap.worker.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.codec.MessageDecoder;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.protocol.model.ModelException;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.worker.model.Publishers;
import io.connectionswap.protocol.tracing.TraceParent;
import io.connectionswap.testsupport.tracing.InMemoryTracing;
import io.connectionswap.worker.tracing.WorkerTracing;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.worker.config.WorkerProperties;
import io.connectionswap.worker.health.FailureSimulation;
import io.connectionswap.worker.metrics.WorkerMeters;
import io.connectionswap.worker.model.StandInBackend;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicCodecs;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.ClientCertificates;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's stream handler on an {@link EmbeddedChannel} with the worker's own pipeline (frame decoder with the
 * worker's limits, codec, heartbeat responder, handler): what the director reads back when a resume is corrupt or an
 * assignment is too large.
 */
class GenerationStreamHandlerTest {

    private static final String PROMPT = "a prompt to resume";
    private final EventLoopGroup loops = new DefaultEventLoopGroup(1);
    private final DeterministicTokenModel words = new DeterministicTokenModel();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @AfterEach
    void stop() {
        loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Test
    void aCorruptedResumeEndsTheStreamWithResumeMismatch() {
        ActiveStreams active = new ActiveStreams();
        EmbeddedChannel stream = stream(StandInBackend.create(Duration.ofMillis(5), loops), active, FrameLimits.DEFAULTS);
        String delivered = words.text(PROMPT, 1, 3);
        String corrupted = delivered.replaceFirst(" ", "  "); // one character too many: a token repeated in part
        GenerationRequest resume = GenerationRequest.completion("gen-7", PROMPT, 10).resumedAfter(3, corrupted, "worker-a");

        stream.writeInbound(MessageCodec.encode(ByteBufAllocator.DEFAULT, new WorkerAssignment(42, "conn-1", resume)));
        stream.runPendingTasks();

        List<Message> replies = replies(stream);
        assertThat(replies).hasSize(2);
        assertThat(replies.get(0)).isInstanceOfSatisfying(Connected.class, connected -> {
            assertThat(connected.resumeAfter()).isEqualTo(3);
            assertThat(connected.generationId()).isEqualTo("gen-7");
        });
        assertThat(replies.get(1)).isInstanceOfSatisfying(StreamError.class, error -> {
            assertThat(error.code()).isEqualTo(ErrorCode.RESUME_MISMATCH);
            assertThat(error.message()).contains("delivered text of a resume after token 3 is not the stand-in's text");
        });
        assertThat(modelErrors("RESUME_MISMATCH")).isEqualTo(1);
        assertThat(active.count()).as("the stream is forgotten").isZero();
        assertThat(stream.isOpen()).as("the stream ended").isFalse();
        stream.finishAndReleaseAll();
    }

    @Test
    void anAssignmentOverTheRequestLimitIsRefusedWithRequestTooLarge() {
        ActiveStreams active = new ActiveStreams();
        EmbeddedChannel stream = stream(StandInBackend.create(Duration.ofMillis(5), loops), active,
                new FrameLimits(1024, 4096));
        // over the request limit plus the ASSIGNMENT envelope (4096 + 4096 bytes)
        GenerationRequest huge = GenerationRequest.completion("gen-8", "x".repeat(9000), 10);

        stream.writeInbound(MessageCodec.encode(ByteBufAllocator.DEFAULT, new WorkerAssignment(43, "conn-1", huge)));
        stream.runPendingTasks();

        List<Message> replies = replies(stream);
        assertThat(replies).hasSize(1);
        assertThat(replies.get(0)).isInstanceOfSatisfying(StreamError.class, error -> {
            assertThat(error.code()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
            assertThat(error.message()).contains("ASSIGNMENT frame of").contains("exceeds the limit of 8192 bytes");
        });
        assertThat(active.count()).as("nothing was started").isZero();
        stream.finishAndReleaseAll();
    }

    /**
     * {@code generationId} is the client's, and the worker echoes it in CONNECTED and END, which must stay within the
     * 64 KiB frame limit the director reads them with: a CONNECTED of 70 KB was FRAME_TOO_LARGE at the director, and
     * on a token stream (TAGGED) that closed the director's whole link to this worker, moving every generation on it,
     * and the resumed generation did the same to the next worker. An id over
     * {@code GenerationRequest.MAX_GENERATION_ID_CHARS} ends its own stream with MALFORMED_MESSAGE instead.
     */
    @Test
    void anAssignmentWithAHugeGenerationIdIsRefusedWithAnErrorTheDirectorCanRead() {
        ActiveStreams active = new ActiveStreams();
        EmbeddedChannel stream = stream(StandInBackend.create(Duration.ofMillis(5), loops), active, FrameLimits.DEFAULTS);

        stream.writeInbound(assignmentWithId("g".repeat(70_000))); // far below the 4 MiB request limit
        stream.runPendingTasks();

        List<Message> replies = replies(stream); // read with the director's frame limits
        assertThat(replies).singleElement().isInstanceOfSatisfying(StreamError.class, error -> {
            assertThat(error.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
            assertThat(error.message()).contains("generationId: 70000 characters");
        });
        assertThat(active.count()).as("nothing was started").isZero();
        stream.finishAndReleaseAll();
    }

    /** An ASSIGNMENT as a peer may send it, whatever its generation id: the record refuses ids that long. */
    private static ByteBuf assignmentWithId(String id) {
        String placeholder = "generation-id-placeholder";
        ByteBuf frame = MessageCodec.encode(ByteBufAllocator.DEFAULT, new WorkerAssignment(49, "conn-1",
                GenerationRequest.completion(placeholder, PROMPT, 2)));
        int type = frame.readUnsignedByte();
        frame.skipBytes(4); // the payload's length
        byte[] payload = frame.toString(StandardCharsets.UTF_8).replace(placeholder, id)
                .getBytes(StandardCharsets.UTF_8);
        frame.release();
        return Unpooled.buffer().writeByte(type).writeInt(payload.length).writeBytes(payload);
    }

    /**
     * An upstream that sends a whole answer as one chunk: a TOKEN frame over the limit would be a protocol error
     * ending the director's link to this worker (every stream on it moving); the stream ends with an error instead.
     */
    @Test
    void aTextOverTheTokenFrameLimitEndsTheStreamWithAnErrorAndIsNotSent() {
        ActiveStreams active = new ActiveStreams();
        String huge = "x".repeat(MessageCodec.MAX_TOKEN_TEXT_BYTES - 1) + "é"; // 2 UTF-8 bytes: one over the limit
        EmbeddedChannel stream = stream(scripted(" a first token", huge, " never asked for"), active,
                FrameLimits.DEFAULTS);

        stream.writeInbound(MessageCodec.encode(ByteBufAllocator.DEFAULT,
                new WorkerAssignment(46, "conn-1", GenerationRequest.completion("gen-11", PROMPT, 10))));
        stream.runPendingTasks();

        List<Message> replies = replies(stream);
        assertThat(replies).hasSize(3);
        assertThat(replies.get(0)).isInstanceOf(Connected.class);
        assertThat(replies.get(1)).isEqualTo(new Token(1, " a first token"));
        assertThat(replies.get(2)).isInstanceOfSatisfying(StreamError.class, error -> {
            assertThat(error.code()).isEqualTo(ErrorCode.INTERNAL);
            assertThat(error.code().isRequestFault()).as("the stream moves on").isFalse();
            assertThat(error.message()).isEqualTo("model scripted emitted a text of 65533 bytes (UTF-8) as token 2, "
                    + "more than one TOKEN frame carries (65532 bytes); not sent");
        });
        assertThat(modelErrors("INTERNAL")).as("connection_swap_worker_model_errors_total{code=INTERNAL}").isEqualTo(1);
        assertThat(modelErrors("UPSTREAM_FAILED")).isZero();
        assertThat(active.count()).as("the stream is forgotten").isZero();
        assertThat(stream.isOpen()).as("the stream ended").isFalse();
        stream.finishAndReleaseAll();
    }

    /**
     * The ERROR the director gets (and passes on to the client and the gateway's error body) says what failed; the
     * upstream's URL is in the worker's own {@code model failed} line only.
     */
    @Test
    void theUpstreamsUrlIsLoggedAndNotSent() {
        String url = "http://vllm-7.internal:8000/v1/completions";
        ModelFailure failure = failWith(new ModelException(ErrorCode.UPSTREAM_REJECTED,
                "upstream answered HTTP 400: prompt too long", url, null));

        assertThat(failure.error().code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED);
        assertThat(failure.error().message()).isEqualTo("upstream answered HTTP 400: prompt too long");
        assertThat(failure.logLine()).contains("upstream.url=" + url)
                .contains("problem=\"upstream answered HTTP 400");
    }

    /** The exception behind a failure, addresses and all, is in the operators' line; the stream gets the problem. */
    @Test
    void theUpstreamsExceptionAsItWasIsLoggedAndNotSent() {
        ModelFailure failure = failWith(new ModelException(ErrorCode.UPSTREAM_FAILED,
                "cannot connect to upstream: Connection refused: <upstream>", "http://vllm-7.internal:8000/v1",
                new java.net.ConnectException("Connection refused: vllm-7.internal/10.0.0.7:8000")));

        assertThat(failure.error().message()).doesNotContain("10.0.0.7");
        assertThat(failure.logLine()).contains(
                "upstream.error=\"java.net.ConnectException: Connection refused: vllm-7.internal/10.0.0.7:8000\"");
    }

    /** The ERROR a stream ends with and the worker's {@code model failed} line. */
    private record ModelFailure(StreamError error, String logLine) {
    }

    /** Runs a generation whose model fails with {@code failure}. */
    private ModelFailure failWith(ModelException failure) {
        EmbeddedChannel stream = stream(failing(failure), new ActiveStreams(), FrameLimits.DEFAULTS);
        try (CapturedLogs logs = CapturedLogs.of(GenerationStreamHandler.class)) {
            stream.writeInbound(MessageCodec.encode(ByteBufAllocator.DEFAULT,
                    new WorkerAssignment(48, "conn-1", GenerationRequest.completion("gen-13", PROMPT, 10))));
            stream.runPendingTasks();
            List<Message> replies = replies(stream);
            assertThat(replies.get(replies.size() - 1)).isInstanceOf(StreamError.class);
            List<String> lines = logs.events().stream().map(event -> event.getFormattedMessage())
                    .filter(line -> line.endsWith("model failed")).toList();
            assertThat(lines).hasSize(1);
            return new ModelFailure((StreamError) replies.get(replies.size() - 1), lines.get(0));
        } finally {
            stream.finishAndReleaseAll();
        }
    }

    @Test
    void aTextOfExactlyTheTokenFrameLimitIsSent() {
        String largest = "x".repeat(MessageCodec.MAX_TOKEN_TEXT_BYTES - 2) + "é";
        EmbeddedChannel stream = stream(scripted(largest), new ActiveStreams(), FrameLimits.DEFAULTS);

        stream.writeInbound(MessageCodec.encode(ByteBufAllocator.DEFAULT,
                new WorkerAssignment(47, "conn-1", GenerationRequest.completion("gen-12", PROMPT, 10))));
        stream.runPendingTasks();

        List<Message> replies = replies(stream);
        assertThat(replies).hasSize(3);
        assertThat(replies.get(1)).isEqualTo(new Token(1, largest));
        assertThat(replies.get(2)).isInstanceOf(End.class);
        stream.finishAndReleaseAll();
    }

    @Test
    void withTracingOnALegIsASpanUnderTheDirectorsAndTheModelGetsItAsParent() {
        String directorLeg = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        List<GenerationContext> seen = new ArrayList<>();
        ModelBackend recording = recordingStandIn(seen);
        try (InMemoryTracing tracing = new InMemoryTracing()) {
            EmbeddedChannel stream = stream(recording, new ActiveStreams(), FrameLimits.DEFAULTS,
                    new WorkerTracing(tracing.tracer(), tracing.propagator(), "worker-t"));
            GenerationRequest request = GenerationRequest.completion("gen-9", PROMPT, 3).withTraceparent(directorLeg)
                    .resumedAfter(1, words.text(PROMPT, 1, 1), "worker-a");
            stream.writeInbound(MessageCodec.encode(ByteBufAllocator.DEFAULT, new WorkerAssignment(44, "conn-1", request)));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                stream.runPendingTasks();
                return !tracing.spans().isEmpty();
            });

            SpanData leg = tracing.span(WorkerTracing.LEG_SPAN);
            assertThat(leg.getTraceId()).isEqualTo(TraceParent.traceId(directorLeg));
            assertThat(leg.getParentSpanId()).isEqualTo(TraceParent.parentId(directorLeg));
            assertThat(InMemoryTracing.attribute(leg, "worker")).isEqualTo("worker-t");
            assertThat(InMemoryTracing.attribute(leg, "migration")).isEqualTo("1");
            assertThat(InMemoryTracing.attribute(leg, "resume.after")).isEqualTo("1");
            assertThat(InMemoryTracing.attribute(leg, "outcome")).isEqualTo("completed");
            assertThat(InMemoryTracing.attribute(leg, "last.seq")).isEqualTo("3");
            assertThat(seen).hasSize(1);
            assertThat(TraceParent.parentId(seen.get(0).traceparent())).as("the upstream call's parent is this leg")
                    .isEqualTo(leg.getSpanId());
            replies(stream);
            stream.finishAndReleaseAll();
        }
    }

    @Test
    void withTracingOffTheRequestsTraceparentReachesTheModelUntouched() {
        String caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        List<GenerationContext> seen = new ArrayList<>();
        ModelBackend recording = recordingStandIn(seen);
        EmbeddedChannel stream = stream(recording, new ActiveStreams(), FrameLimits.DEFAULTS);
        GenerationRequest request = GenerationRequest.completion("gen-10", PROMPT, 2).withTraceparent(caller);
        stream.writeInbound(MessageCodec.encode(ByteBufAllocator.DEFAULT, new WorkerAssignment(45, "conn-1", request)));
        stream.runPendingTasks();
        assertThat(seen).extracting(GenerationContext::traceparent).containsExactly(caller);
        stream.finishAndReleaseAll();
    }

    /**
     * A worker's drain closes its QUIC server once {@link ActiveStreams} is empty, and a generation leaves it the
     * moment its END is written, not once the director has it: END queued behind the director's flow control (a
     * director that has not read the stream yet) is dropped with the connection when the server closes, and the
     * director moves a complete generation as a failed one. Here the director has read nothing of the stream; the
     * generation must count as active until it has.
     */
    @Test
    void aGenerationWhoseEndTheDirectorHasNotReadStillHoldsTheDrain(@TempDir Path pki) throws Exception {
        DevelopmentPki.create(pki);
        ActiveStreams active = new ActiveStreams();
        String big = "x".repeat(1000);
        WorkerStreamContext context = new WorkerStreamContext(properties(), scripted(big, big, big),
                new WorkerMeters(registry, active, loops, new QuicConnections()), active,
                new FailureSimulation(properties()), (WorkerTracing) null);
        EventLoopGroup workerLoop = QuicEventLoops.create("test-worker", 1);
        EventLoopGroup directorLoop = QuicEventLoops.create("test-director", 1);
        QuicServerEndpoint worker = null;
        QuicChannel connection = null;
        java.util.concurrent.atomic.AtomicReference<QuicStreamChannel> served =
                new java.util.concurrent.atomic.AtomicReference<>();
        try {
            TlsContexts workerTls = TlsContexts.server("worker", TlsIdentity.of(pki, "worker").material(),
                    ClientCertificates.only("director"));
            worker = QuicServerEndpoint.bind("test", "test", workerLoop, HostPort.parse("test", "127.0.0.1:0"),
                    QuicCodecs.server(QuicSettings.DEFAULTS, workerTls.serverContext(),
                            new ChannelInboundHandlerAdapter(), new ChannelInitializer<QuicStreamChannel>() {
                                @Override
                                protected void initChannel(QuicStreamChannel stream) {
                                    served.set(stream);
                                    StreamPipelines.messages(stream, FrameLimits.DEFAULTS, Heartbeats.responder());
                                    stream.pipeline().addLast(WorkerTokenStream.Acceptor.INSTANCE,
                                            new GenerationStreamHandler(context));
                                }
                            }, null));
            // the director's window on the stream (2 KiB) takes the first two tokens, not the third or END
            QuicSettings director = new QuicSettings(Duration.ofSeconds(10), 64L * 1024 * 1024, 2048, 100,
                    FrameLimits.DEFAULTS);
            TlsContexts directorTls = TlsContexts.client("director", TlsIdentity.of(pki, "director").material());
            connection = new QuicConnector(directorLoop, director, directorTls.clientContext())
                    .connect(new InetSocketAddress("127.0.0.1", worker.localAddress().getPort()), "localhost", null,
                            null)
                    .get(20, TimeUnit.SECONDS);
            QuicStreamChannel stream = connection.createStream(QuicStreamType.BIDIRECTIONAL,
                    new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                            io.netty.util.ReferenceCountUtil.release(msg);
                        }
                    }).get(20, TimeUnit.SECONDS);
            stream.config().setAutoRead(false); // a director that has not read the stream yet
            GenerationRequest request = GenerationRequest.completion("gen-drain", PROMPT, 10).withModel("scripted");
            stream.writeAndFlush(MessageCodec.encode(stream.alloc(), new WorkerAssignment(7, "conn-1", request)))
                    .sync();
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> registry.get("connection.swap.worker.tokens").counter().count() == 3);
            // the END the model gave is written, and waits: the director's window is full
            assertThat(served.get().eventLoop().submit(served.get()::isWritable).get(20, TimeUnit.SECONDS))
                    .as("the director's window on the stream is used up").isFalse();

            assertThat(active.count())
                    .as("the generation's END waits behind the director's flow control (it read nothing of it), yet "
                            + "the drain's count says no stream is left: a drain closing the server now drops END")
                    .isEqualTo(1);
        } finally {
            if (connection != null) {
                connection.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
            if (worker != null) {
                worker.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
            workerLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            directorLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static WorkerProperties properties() {
        return new WorkerProperties("127.0.0.1:0", null, null, "worker-t", Duration.ofMillis(5),
                null, Duration.ofSeconds(10), "127.0.0.1:61000", false, Duration.ofSeconds(10), Duration.ofSeconds(20),
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMillis(3500), 1, DataSize.ofMegabytes(4));
    }

    private EmbeddedChannel stream(ModelBackend backend, ActiveStreams active, FrameLimits limits) {
        return stream(backend, active, limits, null);
    }

    private EmbeddedChannel stream(ModelBackend backend, ActiveStreams active, FrameLimits limits,
                                   WorkerTracing tracing) {
        WorkerProperties properties = new WorkerProperties("127.0.0.1:0", null, null, "worker-t", Duration.ofMillis(5),
                null, Duration.ofSeconds(10), "127.0.0.1:61000", false, Duration.ofSeconds(10), Duration.ofSeconds(20),
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMillis(3500), 1, DataSize.ofMegabytes(4));
        WorkerStreamContext context = new WorkerStreamContext(properties, backend,
                new WorkerMeters(registry, active, loops, new QuicConnections()), active, new FailureSimulation(properties),
                tracing);
        EmbeddedChannel channel = new EmbeddedChannel();
        StreamPipelines.messages(channel, limits, Heartbeats.responder());
        channel.pipeline().addLast(new GenerationStreamHandler(context));
        return channel;
    }

    /** connection_swap_worker_model_errors_total{code} */
    private double modelErrors(String code) {
        return registry.get("connection.swap.worker.model.errors").tag("code", code).counter().count();
    }

    /** Decodes every frame the handler wrote, releasing the buffers. */
    private static List<Message> replies(EmbeddedChannel stream) {
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(FrameLimits.DEFAULTS), MessageDecoder.INSTANCE);
        for (ByteBuf out = stream.readOutbound(); out != null; out = stream.readOutbound()) {
            decoder.writeInbound(out);
        }
        List<Message> messages = new ArrayList<>();
        for (Message message = decoder.readInbound(); message != null; message = decoder.readInbound()) {
            messages.add(message);
        }
        decoder.finishAndReleaseAll();
        return messages;
    }

    /** A model named {@code scripted} that emits {@code texts} as they are asked for, then finishes (STOP). */
    private static ModelBackend scripted(String... texts) {
        return scripted(context -> subscriber -> subscriber.onSubscribe(new java.util.concurrent.Flow.Subscription() {
            private int next;
            private boolean done;

            @Override
            public void request(long n) {
                for (long i = 0; i < n && !done; i++) {
                    if (next < texts.length) {
                        subscriber.onNext(new ModelEvent.Text(texts[next++]));
                    } else {
                        done = true;
                        subscriber.onNext(new ModelEvent.Finished(FinishReason.STOP, null));
                        subscriber.onComplete();
                    }
                }
            }

            @Override
            public void cancel() {
                done = true;
            }
        }));
    }

    /** A model named {@code scripted} whose every generation fails with {@code failure}. */
    private static ModelBackend failing(ModelException failure) {
        return scripted(context -> Publishers.failed(failure));
    }

    /** A model named {@code scripted} whose generations {@code generate} makes. */
    private static ModelBackend scripted(
            java.util.function.Function<GenerationContext, java.util.concurrent.Flow.Publisher<ModelEvent>> generate) {
        return new ModelBackend() {
            @Override
            public String name() {
                return "scripted";
            }

            @Override
            public List<String> models() {
                return List.of("scripted");
            }

            @Override
            public java.util.concurrent.Flow.Publisher<ModelEvent> generate(GenerationContext context) {
                return generate.apply(context);
            }
        };
    }

    /** The stand-in model, adding each generation's context to {@code seen} as it starts. */
    private ModelBackend recordingStandIn(List<GenerationContext> seen) {
        ModelBackend standIn = StandInBackend.create(Duration.ofMillis(1), loops);
        return new ModelBackend() {
            @Override
            public String name() {
                return standIn.name();
            }

            @Override
            public List<String> models() {
                return standIn.models();
            }

            @Override
            public java.util.concurrent.Flow.Publisher<ModelEvent> generate(GenerationContext context) {
                seen.add(context);
                return standIn.generate(context);
            }
        };
    }
}
