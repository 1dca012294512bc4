package io.connectionswap.protocol.fuzz;

import static io.connectionswap.protocol.fuzz.FuzzChecks.check;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.ClusterStatus;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.Drain;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.GoAway;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Pause;
import io.connectionswap.protocol.message.RegistrationAck;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StatusRequest;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.TokenStream;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.testsupport.netty.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

/**
 * {@link MessageCodec#decode} on a frame of every type with an arbitrary payload: raw bytes, or JSON shaped like the
 * type's record ({@link JsonShapes}) so that inputs get past the parser into the records' validation. The outcome is
 * a record of that type, whose encoding decodes to an equal record and encodes to the same bytes again, or a
 * {@link ProtocolException} with {@link ErrorCode#MALFORMED_MESSAGE}; never any other exception, never a leaked
 * buffer.
 *
 * <p>Runs on the inputs in {@code MessageCodecFuzzTestInputs/} in every build; {@code JAZZER_FUZZ=1} fuzzes it (see the
 * README, "Fuzzing").
 */
class MessageCodecFuzzTest {

    /** The record each frame type carries. */
    private static final Map<FrameType, Class<? extends Message>> RECORDS = new EnumMap<>(FrameType.class);

    static {
        RECORDS.put(FrameType.REGISTER, WorkerRegistration.class);
        RECORDS.put(FrameType.REGISTERED, RegistrationAck.class);
        RECORDS.put(FrameType.DRAIN, Drain.class);
        RECORDS.put(FrameType.HEARTBEAT, Heartbeat.class);
        RECORDS.put(FrameType.GENERATE, GenerationRequest.class);
        RECORDS.put(FrameType.ASSIGNMENT, WorkerAssignment.class);
        RECORDS.put(FrameType.CONNECTED, Connected.class);
        RECORDS.put(FrameType.TOKEN, Token.class);
        RECORDS.put(FrameType.END, End.class);
        RECORDS.put(FrameType.RETRY, Retry.class);
        RECORDS.put(FrameType.ERROR, StreamError.class);
        RECORDS.put(FrameType.STATUS_REQUEST, StatusRequest.class);
        RECORDS.put(FrameType.STATUS, ClusterStatus.class);
        RECORDS.put(FrameType.GOAWAY, GoAway.class);
        RECORDS.put(FrameType.TOKEN_STREAM, TokenStream.class);
        RECORDS.put(FrameType.PAUSE, Pause.class);
    }

    /** Every frame type but TAGGED, a wrapper of other frames rather than a message ({@link TaggedFramesFuzzTest}). */
    private static final FrameType[] MESSAGE_TYPES = Arrays.stream(FrameType.values())
            .filter(type -> type != FrameType.TAGGED).toArray(FrameType[]::new);

    @FuzzTest(maxDuration = "20s")
    void decodesAnyFrame(FuzzedDataProvider data) {
        FrameType type = data.pickValue(MESSAGE_TYPES);
        Class<? extends Message> record = RECORDS.get(type);
        check(record != null, "every frame type is mapped to its record here", type);
        byte[] payload;
        if (data.consumeBoolean() && type != FrameType.TOKEN && type != FrameType.HEARTBEAT) {
            payload = JsonShapes.of(data, record).getBytes(StandardCharsets.UTF_8);
        } else {
            payload = data.consumeRemainingAsBytes();
        }
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf wire = alloc.buffer(5 + payload.length).writeByte(type.code()).writeInt(payload.length).writeBytes(payload);
        RawFrame frame = new RawFrame(type, wire);
        try {
            Message message;
            try {
                message = MessageCodec.decode(frame);
            } catch (ProtocolException e) {
                check(e.errorCode() == ErrorCode.MALFORMED_MESSAGE, "bad payloads are MALFORMED_MESSAGE", e);
                check(e.getMessage() != null && e.getMessage().startsWith("malformed " + type + " frame: "),
                        "the error names the frame type", e.getMessage());
                return;
            }
            check(frame.refCnt() == 1, "decode does not release the frame");
            check(record.isInstance(message), "a " + type + " frame decodes to a " + record.getSimpleName(), message);
            check(message.frameType() == type, "the record maps back to its frame type", message);
            roundTrip(alloc, message);
        } finally {
            frame.release();
            FuzzChecks.noLeak(alloc);
        }
    }

    /** What we accepted we can send on: its encoding decodes to an equal record, and encodes to the same bytes. */
    private static void roundTrip(TrackingAllocator alloc, Message message) {
        ByteBuf encoded = MessageCodec.encode(alloc, message);
        RawFrame again = new RawFrame(message.frameType(), encoded);
        try {
            check(encoded.getUnsignedByte(encoded.readerIndex()) == message.frameType().code(), "encoded type byte");
            check(encoded.getUnsignedInt(encoded.readerIndex() + 1) == encoded.readableBytes() - 5, "encoded length");
            Message decoded = MessageCodec.decode(again);
            check(decoded.equals(message), "re-encoded record decodes to an equal record", message, decoded);
            ByteBuf reencoded = MessageCodec.encode(alloc, decoded);
            try {
                check(Arrays.equals(ByteBufUtil.getBytes(encoded), ByteBufUtil.getBytes(reencoded)),
                        "encoding is stable", message);
            } finally {
                reencoded.release();
            }
        } finally {
            again.release();
        }
    }
}
