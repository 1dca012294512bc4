package io.connectionswap.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.message.ClusterStatus;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.Drain;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.GoAway;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Pause;
import io.connectionswap.protocol.message.RegistrationAck;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.StatusRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.TokenStream;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The wire format: every message survives encode/decode, also when bytes arrive one at a time; every kind of bad
 * input ends the stream with its own error code; and no buffer is left unreleased.
 */
class FrameCodecTest {

    private static final int MAX_PAYLOAD = 1024;
    private static final int MAX_REQUEST = 4096;
    private static final FrameLimits LIMITS = new FrameLimits(MAX_PAYLOAD, MAX_REQUEST);
    private final List<ByteBuf> inputs = new ArrayList<>();

    @BeforeAll
    static void paranoidLeakDetection() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @AfterEach
    void everyInputBufferWasReleased() {
        for (ByteBuf input : inputs) {
            assertThat(input.refCnt()).as("input buffer released").isZero();
        }
    }

    static Stream<Message> everyMessage() {
        return Stream.of(
                new WorkerRegistration("worker-a", "127.0.0.1:62001", "http://127.0.0.1:8081/actuator/health", 50, "i-1",
                        List.of("stand-in")),
                new WorkerRegistration("worker-u", "127.0.0.1:62003", "http://127.0.0.1:8083/actuator/health", 0, "i-2",
                        List.of("llama-3-8b")),
                new WorkerRegistration("worker-t", "127.0.0.1:62004", "http://127.0.0.1:8084/actuator/health", 20, "i-3",
                        List.of("stand-in"), List.of(WorkerRegistration.TOKEN_STREAM)),
                new TokenStream(TokenStream.VERSION),
                new Pause(true),
                new Pause(false),
                new RegistrationAck("director-1", 2),
                new Drain("worker-a", "shutdown"),
                new Heartbeat(123456789L),
                GenerationRequest.completion("g-1", "prompt-1", 30),
                GenerationRequest.completion("g-1", "prompt-1", 30).resumedAfter(12, " twelve words of text", "worker-a"),
                CHAT,
                new WorkerAssignment(7, "conn-1", CHAT.resumedAfter(3, "Hi there friend", "worker-b")),
                new Connected("worker-b", "conn-1", 7, "g-1", 12, "stand-in"),
                new Token(13, " héllo 🌍"),
                new Token(1, ""),
                new End("g-1", 30, FinishReason.LENGTH, null),
                new End("g-1", 12, FinishReason.STOP, new Usage(7, 12)),
                new Retry("health", 12, "worker-a", "health poll http 503 DOWN"),
                new StreamError(ErrorCode.NO_HEALTHY_WORKER, "no healthy worker"),
                new StatusRequest("gateway"),
                new ClusterStatus("director-1", List.of(new ClusterStatus.WorkerStatus("worker-a", "127.0.0.1:62001",
                        "HEALTHY", true, 3, List.of("stand-in")))),
                new GoAway("director-1", "shutting down"));
    }

    private static final GenerationRequest CHAT = new GenerationRequest("g-2", "stand-in", null,
            List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Say hi 👋")),
            new SamplingParameters(64, 0.7, 0.9, List.of("\n\n", "END"), 42L, "user-7", 0.5, -1.25,
                    java.util.Map.of("50256", -100.0)), 0, null, null, 0,
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false);

    @Test
    void everyFrameTypeHasAMessageInTheRoundTrip() {
        Set<FrameType> covered = EnumSet.noneOf(FrameType.class);
        everyMessage().forEach(message -> covered.add(message.frameType()));
        covered.add(FrameType.TAGGED); // a wrapper of other frames, not a message: TaggedFramesTest
        assertThat(covered).containsExactlyInAnyOrder(FrameType.values());
    }

    @ParameterizedTest
    @MethodSource("everyMessage")
    void roundTrip(Message message) {
        EmbeddedChannel channel = codecChannel();
        assertThat(channel.writeOutbound(message)).isTrue();
        ByteBuf encoded = channel.readOutbound();
        assertThat(encoded.getUnsignedByte(0)).isEqualTo((short) message.frameType().code());
        assertThat(encoded.getInt(1)).isEqualTo(encoded.readableBytes() - Frames.HEADER_BYTES);
        track(encoded);

        channel.writeInbound(encoded);
        Message decoded = channel.readInbound();
        assertThat(decoded).isEqualTo(message);
        assertThat(channel.finish()).isFalse();
    }

    @ParameterizedTest
    @MethodSource("everyMessage")
    void roundTripOneByteAtATime(Message message) {
        EmbeddedChannel channel = codecChannel();
        ByteBuf encoded = MessageCodec.encode(ByteBufAllocator.DEFAULT, message);
        try {
            while (encoded.isReadable()) {
                channel.writeInbound(track(encoded.readRetainedSlice(1)));
            }
        } finally {
            encoded.release();
        }
        assertThat((Message) channel.readInbound()).isEqualTo(message);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void tokenIsCompact() {
        ByteBuf token = MessageCodec.encodeToken(ByteBufAllocator.DEFAULT, 42, " word");
        try {
            assertThat(token.readableBytes()).isEqualTo(Frames.HEADER_BYTES + 4 + 5);
        } finally {
            token.release();
        }
    }

    @Test
    void rawFramesKeepTheirBytesForRelaying() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMITS));
        ByteBuf token = track(MessageCodec.encodeToken(ByteBufAllocator.DEFAULT, 9, " nine"));
        byte[] wire = new byte[token.readableBytes()];
        token.getBytes(0, wire);
        channel.writeInbound(token);
        RawFrame frame = channel.readInbound();
        try {
            assertThat(frame.type()).isEqualTo(FrameType.TOKEN);
            assertThat(frame.tokenSequence()).isEqualTo(9);
            byte[] relayed = new byte[frame.content().readableBytes()];
            frame.content().getBytes(frame.content().readerIndex(), relayed);
            assertThat(relayed).isEqualTo(wire);
        } finally {
            frame.release();
        }
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void unknownFrameTypeEndsTheStream() {
        assertProtocolError(Unpooled.wrappedBuffer(new byte[] {0x7f, 0, 0, 0, 0}), ErrorCode.UNKNOWN_FRAME_TYPE,
                "unknown frame type 0x7f");
    }

    @Test
    void frameOverTheLimitIsRejectedBeforeItIsBuffered() {
        ByteBuf header = Unpooled.buffer().writeByte(FrameType.END.code()).writeInt(MAX_PAYLOAD + 1);
        assertProtocolError(header, ErrorCode.FRAME_TOO_LARGE, "END frame of 1025 bytes exceeds the limit of 1024 bytes");
    }

    @Test
    void requestsHaveTheLargerRequestLimit() {
        String prompt = "p".repeat(MAX_PAYLOAD * 2);
        EmbeddedChannel channel = codecChannel();
        ByteBuf encoded = track(MessageCodec.encode(ByteBufAllocator.DEFAULT, GenerationRequest.completion("g", prompt, 5)));
        assertThat(encoded.readableBytes()).isGreaterThan(MAX_PAYLOAD);
        channel.writeInbound(encoded);
        assertThat(((GenerationRequest) channel.readInbound()).prompt()).isEqualTo(prompt);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void requestOverTheRequestLimitIsRequestTooLarge() {
        ByteBuf header = Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(MAX_REQUEST + 1);
        assertProtocolError(header, ErrorCode.REQUEST_TOO_LARGE, "GENERATE frame of 4097 bytes exceeds the limit of 4096 bytes");
        int assignmentLimit = MAX_REQUEST + FrameLimits.ASSIGNMENT_ENVELOPE_BYTES;
        ByteBuf assignment = Unpooled.buffer().writeByte(FrameType.ASSIGNMENT.code()).writeInt(assignmentLimit + 1);
        assertProtocolError(assignment, ErrorCode.REQUEST_TOO_LARGE, "ASSIGNMENT frame of " + (assignmentLimit + 1));
    }

    @Test
    void aResumeMustCarryTheDeliveredText() {
        byte[] json = ("{\"generationId\":\"g\",\"prompt\":\"p\",\"sampling\":{\"maxTokens\":5},"
                + "\"resumeAfter\":2,\"migrations\":1}").getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(json.length).writeBytes(json);
        assertProtocolError(frame, ErrorCode.MALFORMED_MESSAGE, "deliveredText is required to resume after 2");
    }

    @Test
    void absentOptionalFieldsStayOffTheWire() {
        ByteBuf encoded = MessageCodec.encode(ByteBufAllocator.DEFAULT, GenerationRequest.completion("g", "p", 5));
        try {
            String json = encoded.toString(Frames.HEADER_BYTES, encoded.readableBytes() - Frames.HEADER_BYTES,
                    StandardCharsets.UTF_8);
            assertThat(json).doesNotContain("null").doesNotContain("deliveredText").doesNotContain("messages");
        } finally {
            encoded.release();
        }
    }

    @Test
    void requestFaultsAreTheRequestsNotTheWorkers() {
        assertThat(ErrorCode.REQUEST_TOO_LARGE.isRequestFault()).isTrue();
        assertThat(ErrorCode.UPSTREAM_REJECTED.isRequestFault()).isTrue();
        assertThat(ErrorCode.RESUME_MISMATCH.isRequestFault()).isTrue();
        assertThat(ErrorCode.UPSTREAM_FAILED.isRequestFault()).isFalse();
        assertThat(ErrorCode.SHUTTING_DOWN.isRequestFault()).isFalse();
        assertThat(ErrorCode.INTERNAL.isRequestFault()).isFalse();
    }

    @Test
    void negativeLengthIsTooLarge() {
        ByteBuf header = Unpooled.buffer().writeByte(FrameType.TOKEN.code()).writeInt(-1);
        assertProtocolError(header, ErrorCode.FRAME_TOO_LARGE, "4294967295 bytes");
    }

    @Test
    void malformedJsonIsReported() {
        byte[] json = "{\"generationId\": \"g\", \"prompt\": ".getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(json.length).writeBytes(json);
        assertProtocolError(frame, ErrorCode.MALFORMED_MESSAGE, "malformed GENERATE frame");
    }

    @Test
    void invalidFieldValuesAreMalformed() {
        byte[] json = "{\"generationId\":\"g\",\"prompt\":\"p\",\"sampling\":{\"maxTokens\":0},\"resumeAfter\":0,\"migrations\":0}".getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(json.length).writeBytes(json);
        assertProtocolError(frame, ErrorCode.MALFORMED_MESSAGE, "maxTokens: 0 (expected: > 0)");
    }

    /**
     * A GENERATE could carry a model name of megabytes (up to the 4 MiB request limit), which the director logged and
     * kept per-model state by. A name over GenerationRequest.MAX_MODEL_CHARS is malformed now, saying its length, not
     * quoting it; one of exactly that length is a model name as any other.
     */
    @Test
    void aModelNameOverTheBoundIsMalformed() {
        String model = "m".repeat(GenerationRequest.MAX_MODEL_CHARS + 1);
        assertProtocolError(generate(model), ErrorCode.MALFORMED_MESSAGE,
                "model: " + model.length() + " characters (expected: at most " + GenerationRequest.MAX_MODEL_CHARS);

        EmbeddedChannel channel = codecChannel();
        channel.writeInbound(track(generate(model.substring(1))));
        GenerationRequest decoded = channel.readInbound();
        assertThat(decoded.model()).hasSize(GenerationRequest.MAX_MODEL_CHARS);
        channel.finishAndReleaseAll();
    }

    /**
     * A GENERATE's model name was checked for its length only: a blank one, or one with a line break, a NUL or an ESC,
     * went to the director's routing, logs and "no worker serves the model" refusal, though no worker can register
     * such a name. Now a model name given must be one a worker may register (GenerationRequest.MODEL_NAME_RULE),
     * else the GENERATE is malformed; no model (absent or null) still asks for any worker.
     */
    @Test
    void aModelNameNoWorkerCanRegisterIsMalformedAndNoModelIsAnyWorker() {
        // JSON string contents: empty, blank, a line break, a NUL, an ESC sequence, a C1 control
        for (String model : List.of("", "   ", "stand-in\\nforged=line", "stand-in\\u0000", "\\u001b[31mred",
                "stand-in\\u0085")) {
            assertProtocolError(generate(model), ErrorCode.MALFORMED_MESSAGE,
                    "(expected: " + GenerationRequest.MODEL_NAME_RULE + ", or null for any worker)");
        }
        assertThatThrownBy(() -> GenerationRequest.completion("g", "p", 3).withModel("two\nlines"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("model: 'two?lines' (expected: 1 to 256 printable characters, or null for any worker)");

        EmbeddedChannel channel = codecChannel();
        for (String noModel : List.of(generateJson("x").replace("\"model\":\"x\",", ""),
                generateJson("x").replace("\"x\"", "null"))) {
            channel.writeInbound(track(generateFrame(noModel)));
            assertThat(channel.<GenerationRequest>readInbound().model()).as(noModel).isNull();
        }
        channel.writeInbound(track(generate("a name with spaces / and ünïcode")));
        assertThat(channel.<GenerationRequest>readInbound().model()).isEqualTo("a name with spaces / and ünïcode");
        channel.finishAndReleaseAll();
    }

    /** A worker decoded an ASSIGNMENT whose request named a model of any length; now it is malformed too. */
    @Test
    void anAssignmentWhoseModelNameIsOverTheBoundIsMalformed() {
        String model = "m".repeat(GenerationRequest.MAX_MODEL_CHARS + 1);
        byte[] json = ("{\"streamId\":4,\"connectionId\":\"conn-1\",\"request\":" + generateJson(model) + "}")
                .getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = Unpooled.buffer().writeByte(FrameType.ASSIGNMENT.code()).writeInt(json.length).writeBytes(json);
        assertProtocolError(frame, ErrorCode.MALFORMED_MESSAGE, "model: " + model.length() + " characters");
    }

    private static ByteBuf generate(String model) {
        return generateFrame(generateJson(model));
    }

    private static ByteBuf generateFrame(String text) {
        byte[] json = text.getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(json.length).writeBytes(json);
    }

    private static String generateJson(String model) {
        return "{\"generationId\":\"g\",\"model\":\"" + model + "\",\"prompt\":\"p\",\"sampling\":{\"maxTokens\":3},"
                + "\"resumeAfter\":0,\"migrations\":0}";
    }

    @Test
    void missingRequiredFieldIsMalformed() {
        byte[] json = "{\"label\":\"w\",\"tokenIntervalMillis\":5}".getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = Unpooled.buffer().writeByte(FrameType.REGISTER.code()).writeInt(json.length).writeBytes(json);
        assertProtocolError(frame, ErrorCode.MALFORMED_MESSAGE, "address is required");
    }

    @Test
    void missingPrimitiveFieldIsNamed() {
        byte[] json = "{\"label\":\"w\",\"address\":\"a:1\",\"healthUrl\":\"h\",\"instanceId\":\"i\"}"
                .getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = Unpooled.buffer().writeByte(FrameType.REGISTER.code()).writeInt(json.length).writeBytes(json);
        assertProtocolError(frame, ErrorCode.MALFORMED_MESSAGE, "field 'tokenIntervalMillis'");
    }

    @Test
    void tokenShorterThanASequenceNumberIsMalformed() {
        ByteBuf frame = Unpooled.buffer().writeByte(FrameType.TOKEN.code()).writeInt(2).writeShort(1);
        assertProtocolError(frame, ErrorCode.MALFORMED_MESSAGE, "shorter than a sequence number");
    }

    @Test
    void truncatedFrameIsReportedWhenTheStreamEnds() {
        EmbeddedChannel channel = codecChannel();
        ByteBuf encoded = MessageCodec.encode(ByteBufAllocator.DEFAULT, new End("g-1", 3, FinishReason.LENGTH, null));
        channel.writeInbound(track(encoded.readRetainedSlice(encoded.readableBytes() - 2)));
        encoded.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThatThrownBy(channel::finish)
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.TRUNCATED_FRAME))
                .hasMessageContaining("stream ended inside a frame");
    }

    @Test
    void bytesAfterAnErrorAreDiscardedNotDecoded() {
        EmbeddedChannel channel = codecChannel();
        ByteBuf bad = track(Unpooled.wrappedBuffer(new byte[] {0x7f}));
        assertThatThrownBy(() -> channel.writeInbound(bad)).isInstanceOf(ProtocolException.class);
        ByteBuf good = track(MessageCodec.encode(ByteBufAllocator.DEFAULT, new End("g-1", 3, FinishReason.LENGTH, null)));
        channel.writeInbound(good);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    private void assertProtocolError(ByteBuf input, ErrorCode code, String message) {
        EmbeddedChannel channel = codecChannel();
        track(input);
        assertThatThrownBy(() -> channel.writeInbound(input))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.errorCode()).isEqualTo(code))
                .hasMessageContaining(message);
        channel.finishAndReleaseAll();
    }

    private ByteBuf track(ByteBuf buf) {
        inputs.add(buf);
        return buf;
    }

    private static EmbeddedChannel codecChannel() {
        return new EmbeddedChannel(new FrameDecoder(LIMITS), MessageDecoder.INSTANCE, MessageEncoder.INSTANCE);
    }
}
