package io.connectionswap.director.quic;

import static org.mockito.ArgumentMatchers.any;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.PollResult;
import io.connectionswap.director.registry.WorkerConnection;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.codec.MessageDecoder;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.ClusterStatus;
import io.connectionswap.protocol.message.Drain;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.RegistrationAck;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StatusRequest;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.testsupport.netty.TrackingAllocator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * The director's first-message routing on a new stream, with the director's own stream pipeline (frame decoder,
 * codec, heartbeat responder, {@link FirstMessageRouter}) over an {@link EmbeddedQuicStream}, a real
 * {@link WorkerRegistry} and {@link Relay} whose worker links are embedded streams too. The peer is a client or a
 * worker (by its certificate); there is no worker, a healthy one or a pending one; the bytes are arbitrary, or a few
 * valid frames (fuzzed fields) with arbitrary bytes between them, in arbitrary chunks, with or without the peer's
 * FIN.
 *
 * <p>Whatever arrives: no exception escapes the pipeline; the stream is routed (STATUS answered, REGISTER acknowledged,
 * GENERATE assigned to the worker with the very request the client sent) or ended with one ERROR frame with the code
 * of the problem and our FIN, never INTERNAL; nothing is written after our FIN; once the client is gone no relay
 * session is left; every buffer is released.
 *
 * <p>Runs on the inputs in {@code FirstMessageRouterFuzzTestInputs/} in every build; {@code JAZZER_FUZZ=1} fuzzes it
 * (see the README, "Fuzzing").
 */
class FirstMessageRouterFuzzTest {

    private static final FrameLimits LIMITS = new FrameLimits(256, 1024);
    private static final DirectorProperties PROPERTIES = TestDirectorProperties.of("d-fuzz", Duration.ofMillis(300),
            "nio", false);
    private static final HealthProperties HEALTH = new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4);
    private static final DirectorMeters METERS = new DirectorMeters(new SimpleMeterRegistry(),
            new DefaultEventLoopGroup(1));
    private static final QuicChannel CLIENT_CONNECTION = PeerConnections.connection("client");
    private static final QuicChannel WORKER_CONNECTION = PeerConnections.connection("worker");
    private static final QuicChannel WORKER_LINK = PeerConnections.connection(null);

    @FuzzTest(maxDuration = "20s")
    void routesOrEndsAnyNewStream(FuzzedDataProvider data) {
        int workers = data.consumeInt(0, 2);
        boolean fromWorker = data.consumeBoolean();
        boolean peerFinishes = data.consumeBoolean();
        byte[] bytes = data.consumeBoolean() ? frames(data) : data.consumeBytes(data.consumeInt(0, 600));
        exercise(workers, fromWorker, peerFinishes, bytes, () -> 1 + data.consumeInt(0, 80));
    }

    /** Found by fuzzing: a stream we ended (ERROR, or the STATUS answer) still echoed heartbeats after our FIN. */
    @Test
    void aStreamWeEndedAnswersNothingMore() {
        byte[] statusThenHeartbeat = concat(encode(new StatusRequest("gateway")), encode(new Heartbeat(7)));
        List<Message> sent = exercise(0, false, false, statusThenHeartbeat, () -> 64);
        check(sent.size() == 1 && sent.get(0) instanceof ClusterStatus, "only the STATUS answer", sent);

        byte[] unexpectedThenMore = concat(encode(new RegistrationAck("d-other", 1)), encode(new Heartbeat(7)),
                encode(new RegistrationAck("d-other", 2)));
        sent = exercise(0, false, false, unexpectedThenMore, () -> 64);
        check(sent.size() == 1 && sent.get(0) instanceof StreamError error
                && error.code() == ErrorCode.UNEXPECTED_MESSAGE, "one ERROR, then nothing", sent);
    }

    /** Found by fuzzing: a registration with a health URL that is no URI ended its stream with INTERNAL. */
    @Test
    void aRegistrationTheDirectorCannotUseIsABadRequest() {
        byte[] register = encode(new WorkerRegistration("worker-b", "127.0.0.1:62002", " not a uri", 50, "i-2",
                List.of("stand-in")));
        List<Message> sent = exercise(0, true, false, register, () -> register.length);
        check(sent.size() == 1 && sent.get(0) instanceof StreamError error && error.code() == ErrorCode.BAD_REQUEST
                && error.message().startsWith("registration refused: "), "REGISTER refused with BAD_REQUEST", sent);
    }

    /**
     * The first-frame timeout ({@link FirstFrameTimeout}) ends at a generation stream's GENERATE, and nothing watches
     * the frames after it: a client whose generation runs (it reads its tokens, or its worker is slow) can begin a
     * second GENERATE frame (its limit is the request limit, 4 MB by default) and never complete it. The director holds
     * the partial frame for as long as the generation lives (up to CONNECTION_SWAP_MAX_SESSION_DURATION, 1 h), on each
     * of the connection's 1000 streams: ~4 GB per connection, the very attack the timeout's rework closed for a
     * stream that began with a heartbeat. docs/protocol.md: STREAM_TIMEOUT is "a frame begun and not completed in
     * time". Here the timeout is 200 ms, the request limit 1 KB, and nothing happens within 3 s.
     */
    @Test
    void aGenerationStreamThatBeginsAFrameAfterItsGenerateAndNeverCompletesItIsReset() {
        TrackingAllocator alloc = new TrackingAllocator();
        Director director = new Director(1, alloc);
        EmbeddedQuicStream stream = new EmbeddedQuicStream(CLIENT_CONNECTION, 8, alloc);
        // as DirectorQuicServer's stream initializer sets up every stream a peer opens
        stream.pipeline().addLast(new FrameDecoder(LIMITS), new FirstFrameTimeout(Duration.ofMillis(200), METERS),
                MessageDecoder.INSTANCE, io.connectionswap.protocol.codec.MessageEncoder.INSTANCE,
                Heartbeats.responder(),
                new FirstMessageRouter(director.relay, director.registry, PROPERTIES.id(), METERS));

        GenerationRequest request = new GenerationRequest("g-slow", "stand-in", "hello", null,
                io.connectionswap.protocol.message.SamplingParameters.maxTokens(50), 0, null, null, 0, null, false);
        byte[] generate = encode(request);
        stream.writeInbound(alloc.buffer(generate.length).writeBytes(generate));
        director.loop.runPendingTasks();
        stream.checkException();
        check(director.relay.activeSessions() == 1, "the generation is handed to the worker",
                director.relay.activeSessions());
        // a second GENERATE announced at the request limit, all but its last byte sent
        int payload = LIMITS.maxRequestBytes();
        stream.writeInbound(alloc.buffer(5 + payload).writeByte(io.connectionswap.protocol.frame.FrameType.GENERATE
                .code()).writeInt(payload).writeZero(payload - 1));
        check(stream.pipeline().get(FrameDecoder.class).bufferedBytes() == 4 + payload,
                "the director buffers the partial frame");

        try {
            org.awaitility.Awaitility.await("a generation stream whose second frame never completes is reset "
                            + "(STREAM_TIMEOUT) within two first-frame timeouts")
                    .atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20)).until(() -> {
                        stream.runScheduledPendingTasks();
                        stream.runPendingTasks();
                        director.loop.runPendingTasks();
                        return !stream.isActive();
                    });
        } finally {
            stream.finishAndReleaseAll();
            director.workerStreams.forEach(EmbeddedQuicStream::finishAndReleaseAll);
        }
    }

    /**
     * Opens a stream to a director with {@code workers} (0 none, 1 a healthy one, 2 a pending one) from a client or a
     * worker, sends {@code bytes} in chunks of the sizes {@code chunks} gives, then maybe the peer's FIN; checks every
     * invariant; returns what the director wrote on the stream.
     */
    private static List<Message> exercise(int workers, boolean fromWorker, boolean peerFinishes, byte[] bytes,
                                          IntSupplier chunks) {
        TrackingAllocator alloc = new TrackingAllocator();
        Director director = new Director(workers, alloc);
        QuicChannel peer = fromWorker ? WORKER_CONNECTION : CLIENT_CONNECTION;
        EmbeddedQuicStream stream = new EmbeddedQuicStream(peer, 4, alloc);
        // as DirectorQuicServer's stream initializer sets up every stream a peer opens
        StreamPipelines.messages(stream, LIMITS, Heartbeats.responder());
        stream.pipeline().addLast(new FirstMessageRouter(director.relay, director.registry, PROPERTIES.id(), METERS));

        int at = 0;
        while (at < bytes.length && stream.isOpen()) {
            int size = Math.min(bytes.length - at, Math.max(1, chunks.getAsInt()));
            stream.writeInbound(alloc.buffer(size).writeBytes(bytes, at, size)); // rethrows what reached the tail
            at += size;
        }
        if (peerFinishes) {
            stream.peerFinished();
        }
        director.loop.runPendingTasks();
        stream.checkException();

        Expected expected = Expected.of(bytes, peerFinishes, fromWorker, workers);
        List<Message> sent = drain(stream);
        List<Message> assigned = new ArrayList<>();
        director.workerStreams.forEach(worker -> assigned.addAll(drain(worker)));
        check(sent, assigned, expected, stream);

        // the client goes away: nothing of its stream may stay behind in the relay
        stream.close();
        director.loop.runPendingTasks();
        check(director.relay.activeSessions() == 0, "no relay session once the client stream closed",
                director.relay.activeSessions());
        for (EmbeddedQuicStream worker : director.workerStreams) {
            check(worker.isOutputShutdown(), "the worker's stream is finished once the client is gone");
            check(worker.writesAfterFin() == 0, "nothing written to the worker after our FIN");
            worker.finishAndReleaseAll();
        }
        stream.finishAndReleaseAll();
        String unreleased = alloc.unreleased();
        check(unreleased == null, "no buffer leak", unreleased);
        return sent;
    }

    private static byte[] encode(Message message) {
        ByteBuf encoded = MessageCodec.encode(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, message);
        try {
            return ByteBufUtil.getBytes(encoded);
        } finally {
            encoded.release();
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static void check(List<Message> sent, List<Message> assigned, Expected expected, EmbeddedQuicStream stream) {
        check(stream.writesAfterFin() == 0, "nothing written after our FIN", sent);
        int errors = 0;
        for (int i = 0; i < sent.size(); i++) {
            if (sent.get(i) instanceof StreamError error) {
                errors++;
                check(i == sent.size() - 1, "an ERROR is the last frame of a stream", sent);
                check(error.code() != ErrorCode.INTERNAL, "no unexpected exception ends a stream (INTERNAL)", error);
                check(error.message() != null && !error.message().isBlank(), "an ERROR says what was wrong", error);
            }
        }
        check(errors <= 1, "at most one ERROR per stream", sent);
        StreamError error = errors == 1 ? (StreamError) sent.get(sent.size() - 1) : null;
        if (error != null) {
            check(stream.isOutputShutdown(), "an ERROR is followed by our FIN", sent);
        }
        long echoes = sent.stream().filter(Heartbeat.class::isInstance).count();
        check(echoes >= expected.heartbeatsBeforeFirst, "heartbeats before the first message are echoed", sent);
        if (expected.errorBeforeFirst != null) {
            check(error != null && error.code() == expected.errorBeforeFirst,
                    "bad input before any message ends the stream with its code", expected.errorBeforeFirst, sent);
            return;
        }
        Message first = expected.first;
        if (first == null) {
            check(error == null && assigned.isEmpty(), "no message, no verdict", sent);
            if (expected.peerFinished) {
                check(stream.isOutputShutdown(), "a peer that finishes without a message gets our FIN too");
            }
            return;
        }
        if (first instanceof StatusRequest) {
            check(sent.stream().anyMatch(ClusterStatus.class::isInstance), "STATUS_REQUEST is answered", sent);
            check(stream.isOutputShutdown(), "the stream ends after the STATUS answer");
        } else if (first instanceof GenerationRequest request) {
            if (expected.healthyWorkerServes(request)) {
                check(assigned.size() == 1 && assigned.get(0) instanceof WorkerAssignment assignment
                        && assignment.request().equals(request), "the worker is assigned exactly the client's request",
                        request, assigned);
            } else {
                check(assigned.isEmpty(), "no assignment without a healthy worker for the model", assigned);
                check(error != null && (error.code() == ErrorCode.MODEL_NOT_FOUND
                        || error.code() == ErrorCode.NO_HEALTHY_WORKER), "GENERATE no worker can take is refused", sent);
            }
        } else if (first instanceof WorkerRegistration) {
            if (expected.fromWorker) {
                check(!sent.isEmpty() && sent.stream().anyMatch(m -> m instanceof RegistrationAck || m instanceof StreamError),
                        "REGISTER from a worker is acknowledged or refused", sent);
            } else {
                check(error != null && error.code() == ErrorCode.PEER_NOT_ALLOWED,
                        "only a peer with the worker certificate may register", sent);
            }
        } else {
            check(error != null && error.code() == ErrorCode.UNEXPECTED_MESSAGE,
                    "any other first message is UNEXPECTED_MESSAGE", first, sent);
        }
    }

    /** A few frames, valid or not, with fuzzed fields, and arbitrary bytes between them. */
    private static byte[] frames(FuzzedDataProvider data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = data.consumeInt(1, 4);
        for (int i = 0; i < count; i++) {
            Message message = message(data);
            if (message == null) {
                out.writeBytes(data.consumeBytes(data.consumeInt(0, 24)));
                continue;
            }
            byte[] frame = encode(message);
            int cut = data.consumeInt(0, 7) == 0 ? data.consumeInt(0, frame.length) : 0; // sometimes truncated
            out.write(frame, 0, frame.length - cut);
        }
        return out.toByteArray();
    }

    private static Message message(FuzzedDataProvider data) {
        try {
            return switch (data.consumeInt(0, 9)) {
                case 0 -> null;
                case 1 -> new Heartbeat(data.consumeLong());
                case 2, 3 -> {
                    GenerationRequest request = new GenerationRequest(text(data, "g-1"),
                            data.pickValue(new String[] {"stand-in", "other", ""}), text(data, "prompt"), null,
                            io.connectionswap.protocol.message.SamplingParameters.maxTokens(data.consumeInt(1, 50)), 0,
                            null, null, 0, null, false);
                    int resumeAfter = data.consumeInt(0, 60);
                    yield resumeAfter == 0 ? request : request.resumedAfter(resumeAfter, text(data, "text"), text(data, "worker-b"));
                }
                case 4, 5 -> new WorkerRegistration(text(data, "worker-b"),
                        data.pickValue(new String[] {"127.0.0.1:62002", "127.0.0.1:62001", "worker_b:62002", "[::1]:62002",
                            "no-port", "127.0.0.1:99999", data.consumeString(16)}),
                        data.pickValue(new String[] {"http://127.0.0.1:8082/actuator/health", "127.0.0.1:8082/health",
                            "http://worker_b:8082/actuator/health", "http://[::1]:8082/h", "", data.consumeString(16)}),
                        data.consumeLong(-1, 1000), text(data, "i-2"), List.of(text(data, "stand-in")));
                case 6 -> new StatusRequest(data.consumeBoolean() ? null : text(data, "gateway"));
                case 7 -> new Drain(text(data, "worker-a"), text(data, "shutdown"));
                case 8 -> data.pickValue(new Message[] {new Token(1, "a"), new End("g-1", 1, FinishReason.STOP, null),
                    new Retry("health", 0, "worker-a", null), new StreamError(ErrorCode.CANCELLED, "bye")});
                default -> new RegistrationAck("d-other", data.consumeInt(0, 3));
            };
        } catch (IllegalArgumentException e) {
            return null; // fields the records refuse: these bytes are then arbitrary ones
        }
    }

    private static String text(FuzzedDataProvider data, String usual) {
        return data.consumeBoolean() ? usual : data.consumeString(12);
    }

    /** Decodes what a stream wrote (and releases it). */
    private static List<Message> drain(EmbeddedQuicStream stream) {
        List<Message> messages = new ArrayList<>();
        Object written;
        while ((written = stream.readOutbound()) != null) {
            try {
                ByteBuf frame = (ByteBuf) written;
                if (!frame.isReadable()) {
                    continue; // the empty write before a FIN
                }
                RawFrame raw = new RawFrame(io.connectionswap.protocol.frame.FrameType.fromCode(
                        frame.getUnsignedByte(frame.readerIndex())), frame.retain());
                try {
                    messages.add(MessageCodec.decode(raw));
                } finally {
                    raw.release();
                }
            } finally {
                ReferenceCountUtil.release(written);
            }
        }
        return messages;
    }

    private static void check(boolean condition, String what, Object... details) {
        if (!condition) {
            throw new AssertionError(details.length == 0 ? what : what + ": " + Arrays.deepToString(details));
        }
    }

    /** The registry and relay of one director, on an embedded loop; worker links open embedded streams. */
    private static final class Director {
        final EmbeddedChannel loop = new EmbeddedChannel();
        final WorkerRegistry registry;
        final Relay relay;
        final int workers;
        final List<EmbeddedQuicStream> workerStreams = new ArrayList<>();
        private final TrackingAllocator alloc;
        private boolean dialling = true;

        /** {@code workers}: 0 none, 1 a healthy one, 2 a registered one not yet polled healthy. */
        Director(int workers, TrackingAllocator alloc) {
            this.workers = workers;
            this.alloc = alloc;
            EventLoop eventLoop = loop.eventLoop();
            // links are dialled only for the worker set up here: never a DNS lookup of a fuzzed address
            registry = new WorkerRegistry(eventLoop, task -> {
                if (dialling) {
                    task.run();
                }
            }, this::connect, PROPERTIES, HEALTH, METERS);
            relay = new Relay(registry, PROPERTIES, LimitProperties.DEFAULTS, LIMITS, METERS);
            if (workers > 0) {
                WorkerEndpoint worker = registry.register(new WorkerRegistration("worker-a", "127.0.0.1:62001",
                        "http://127.0.0.1:8081/actuator/health", 50, "i-1", List.of("stand-in")));
                loop.runPendingTasks();
                if (workers == 1) {
                    registry.pollCompleted(worker, PollResult.answered("UP", 200));
                }
            }
            dialling = false;
        }

        private Future<WorkerConnection> connect(WorkerEndpoint worker, InetSocketAddress remote, Consumer<String> onLost) {
            return loop.eventLoop().newSucceededFuture(new WorkerConnection() {
                @Override
                public boolean isUp() {
                    return true;
                }

                @Override
                public Future<QuicStreamChannel> openStream(io.netty.channel.ChannelHandler initializer) {
                    EmbeddedQuicStream stream = new EmbeddedQuicStream(WORKER_LINK, 4L * (workerStreams.size() + 1), alloc);
                    stream.pipeline().addLast(initializer);
                    workerStreams.add(stream);
                    return stream.eventLoop().newSucceededFuture(stream);
                }

                @Override
                public void close(String reason) {
                }

                @Override
                public int streamsHeld() {
                    return workerStreams.size();
                }
            });
        }
    }

    /** What the director should make of the bytes: read by the protocol's own decoder, without the director. */
    private record Expected(int heartbeatsBeforeFirst, Message first, ErrorCode errorBeforeFirst, boolean peerFinished,
                            boolean fromWorker, int workers) {

        static Expected of(byte[] bytes, boolean peerFinished, boolean fromWorker, int workers) {
            List<Object> read = new ArrayList<>();
            EmbeddedChannel reader = new EmbeddedChannel(new FrameDecoder(LIMITS), MessageDecoder.INSTANCE,
                    new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            read.add(msg);
                        }

                        @Override
                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            read.add(cause);
                        }
                    });
            reader.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(bytes));
            if (peerFinished) {
                reader.finish();
            } else {
                reader.finishAndReleaseAll(); // a close, not a FIN: no truncation verdict yet
                read.removeIf(item -> item instanceof ProtocolException e && e.errorCode() == ErrorCode.TRUNCATED_FRAME);
            }
            int heartbeats = 0;
            for (Object item : read) {
                if (item instanceof Heartbeat) {
                    heartbeats++;
                } else if (item instanceof ProtocolException e) {
                    return new Expected(heartbeats, null, e.errorCode(), peerFinished, fromWorker, workers);
                } else if (item instanceof Message message) {
                    return new Expected(heartbeats, message, null, peerFinished, fromWorker, workers);
                } else if (item instanceof Throwable t) {
                    throw new AssertionError("the reference decoder failed", t);
                }
            }
            return new Expected(heartbeats, null, null, peerFinished, fromWorker, workers);
        }

        boolean healthyWorkerServes(GenerationRequest request) {
            return workers == 1 && (request.model() == null || "stand-in".equals(request.model()));
        }
    }
}
