package io.connectionswap.protocol.codec;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.log.LogLine;
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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Encodes messages into frames and decodes frames into messages. Control messages are JSON; tokens and
 * heartbeats are fixed binary layouts so the hot path does no JSON work. Thread-safe and stateless.
 */
public final class MessageCodec {

    /** The longest reason a MALFORMED_MESSAGE refusal gives, in characters. */
    static final int MAX_REASON_CHARS = 500;

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // absent optional fields (model, messages, deliveredText, usage, ...) stay off the wire
            .changeDefaultPropertyInclusion(inclusion -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL))
            .build();

    private MessageCodec() {
    }

    /** Encodes {@code message} as one complete frame in a new buffer owned by the caller. */
    public static ByteBuf encode(ByteBufAllocator alloc, Message message) {
        if (message instanceof Token token) {
            return encodeToken(alloc, token.sequence(), token.text());
        }
        if (message instanceof Heartbeat heartbeat) {
            ByteBuf buf = alloc.ioBuffer(Frames.HEADER_BYTES + Long.BYTES);
            buf.writeByte(FrameType.HEARTBEAT.code()).writeInt(Long.BYTES).writeLong(heartbeat.sentNanos());
            return buf;
        }
        return encodeJson(alloc, message);
    }

    /**
     * The most text (UTF-8 bytes) one TOKEN frame carries within the frame limit every peer applies to token frames
     * ({@link Frames#DEFAULT_MAX_PAYLOAD_BYTES}, less the sequence number): a larger frame is a protocol error that
     * ends the whole connection it travels on.
     */
    public static final int MAX_TOKEN_TEXT_BYTES = Frames.DEFAULT_MAX_PAYLOAD_BYTES - Integer.BYTES;

    /** Encodes a token frame without creating a {@link Token} record: the worker's per-token path. */
    public static ByteBuf encodeToken(ByteBufAllocator alloc, int sequence, CharSequence text) {
        int textBytes = ByteBufUtil.utf8Bytes(text);
        ByteBuf buf = alloc.ioBuffer(Frames.HEADER_BYTES + Integer.BYTES + textBytes);
        buf.writeByte(FrameType.TOKEN.code()).writeInt(Integer.BYTES + textBytes).writeInt(sequence);
        ByteBufUtil.reserveAndWriteUtf8(buf, text, textBytes);
        return buf;
    }

    private static ByteBuf encodeJson(ByteBufAllocator alloc, Message message) {
        byte[] json = JSON.writeValueAsBytes(message);
        ByteBuf buf = alloc.ioBuffer(Frames.HEADER_BYTES + json.length);
        buf.writeByte(message.frameType().code()).writeInt(json.length).writeBytes(json);
        return buf;
    }

    /**
     * Decodes one frame. Does not release {@code frame}.
     *
     * @throws ProtocolException with {@link ErrorCode#MALFORMED_MESSAGE} when the payload is not a valid message
     */
    public static Message decode(RawFrame frame) {
        ByteBuf payload = frame.payload();
        return switch (frame.type()) {
            case TOKEN -> decodeToken(payload);
            case HEARTBEAT -> {
                requireLength(frame.type(), payload, Long.BYTES);
                yield new Heartbeat(payload.getLong(payload.readerIndex()));
            }
            case REGISTER -> json(frame.type(), payload, WorkerRegistration.class);
            case REGISTERED -> json(frame.type(), payload, RegistrationAck.class);
            case DRAIN -> json(frame.type(), payload, Drain.class);
            case GENERATE -> json(frame.type(), payload, GenerationRequest.class);
            case ASSIGNMENT -> json(frame.type(), payload, WorkerAssignment.class);
            case CONNECTED -> json(frame.type(), payload, Connected.class);
            case END -> json(frame.type(), payload, End.class);
            case RETRY -> json(frame.type(), payload, Retry.class);
            case ERROR -> json(frame.type(), payload, StreamError.class);
            case STATUS_REQUEST -> json(frame.type(), payload, StatusRequest.class);
            case STATUS -> json(frame.type(), payload, ClusterStatus.class);
            case GOAWAY -> json(frame.type(), payload, GoAway.class);
            case TOKEN_STREAM -> json(frame.type(), payload, TokenStream.class);
            case PAUSE -> json(frame.type(), payload, Pause.class);
            case TAGGED -> throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE,
                    "a TAGGED frame belongs on a token stream (TaggedFrames), not on this stream");
        };
    }

    private static Token decodeToken(ByteBuf payload) {
        if (payload.readableBytes() < Integer.BYTES) {
            throw malformed(FrameType.TOKEN, "payload of " + payload.readableBytes() + " bytes is shorter than a sequence number", null);
        }
        int sequence = payload.getInt(payload.readerIndex());
        String text = payload.toString(payload.readerIndex() + Integer.BYTES, payload.readableBytes() - Integer.BYTES,
                StandardCharsets.UTF_8);
        try {
            return new Token(sequence, text);
        } catch (IllegalArgumentException e) {
            throw malformed(FrameType.TOKEN, e.getMessage(), e);
        }
    }

    private static void requireLength(FrameType type, ByteBuf payload, int expected) {
        if (payload.readableBytes() != expected) {
            throw malformed(type, "payload of " + payload.readableBytes() + " bytes, expected " + expected, null);
        }
    }

    private static <T extends Message> T json(FrameType type, ByteBuf payload, Class<T> messageClass) {
        try (ByteBufInputStream in = new ByteBufInputStream(payload.duplicate())) {
            T message = JSON.readValue((java.io.InputStream) in, messageClass);
            if (message == null) {
                throw malformed(type, "empty JSON payload", null);
            }
            return message;
        } catch (JacksonException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            throw malformed(type, reason(e, root), e);
        } catch (java.io.IOException e) {
            throw malformed(type, e.getMessage(), e);
        }
    }

    private static String reason(JacksonException e, Throwable root) {
        if (root instanceof IllegalArgumentException) {
            return root.getMessage();
        }
        String message = e.getOriginalMessage();
        int hint = message.indexOf(" (set `");
        if (hint > 0) {
            message = message.substring(0, hint);
        }
        String field = e.getPath().isEmpty() ? null : e.getPath().get(e.getPath().size() - 1).getPropertyName();
        return field == null ? message : "field '" + field + "': " + message;
    }

    /**
     * The refusal, its reason cut at {@link #MAX_REASON_CHARS}: a reason may quote the peer's value (a role, a
     * number's text), and goes back to the peer in an ERROR frame, which must stay within the frame limit, and into a
     * log line.
     */
    private static ProtocolException malformed(FrameType type, String reason, Throwable cause) {
        return new ProtocolException(ErrorCode.MALFORMED_MESSAGE, "malformed " + type + " frame: "
                + LogLine.printable(String.valueOf(reason), MAX_REASON_CHARS), cause);
    }
}
