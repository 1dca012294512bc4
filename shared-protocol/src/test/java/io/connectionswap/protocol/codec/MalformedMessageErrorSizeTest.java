package io.connectionswap.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.StreamError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The MALFORMED_MESSAGE a receiver answers a bad GENERATE with goes back as an ERROR frame, which the peer reads with
 * the 64 KiB frame limit, and into a WARN line. A refused value is quoted abbreviated: a GENERATE (up to 4 MiB) with a
 * 70 KB chat {@code role}, which ChatMessage quotes, got back an ERROR frame its client could not read
 * (FRAME_TOO_LARGE instead of MALFORMED_MESSAGE) and wrote 70 KB into the receiver's log per request.
 */
class MalformedMessageErrorSizeTest {

    private static final String HUGE = "r".repeat(70_000);

    @Test
    void theMalformedMessageErrorForAHugeChatRoleFitsInOneFrameThePeerCanRead() {
        String json = "{\"generationId\":\"g\",\"messages\":[{\"role\":\"" + HUGE + "\",\"content\":\"hi\"}],"
                + "\"sampling\":{\"maxTokens\":3},\"resumeAfter\":0,\"migrations\":0}";
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(payload.length)
                .writeBytes(payload);
        RawFrame raw = new RawFrame(FrameType.GENERATE, frame);
        try {
            ProtocolException refused = catchThrowableOfType(ProtocolException.class, () -> MessageCodec.decode(raw));
            assertThat(refused).isNotNull();
            assertThat(refused.errorCode()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);

            ByteBuf error = MessageCodec.encode(ByteBufAllocator.DEFAULT,
                    new StreamError(refused.errorCode(), refused.getMessage()));
            int errorPayload = error.readableBytes() - Frames.HEADER_BYTES;
            error.release();
            assertThat(errorPayload)
                    .as("payload of the ERROR frame answering it (the peer refuses frames over %d bytes); message "
                            + "starts: %s", Frames.DEFAULT_MAX_PAYLOAD_BYTES,
                            refused.getMessage().substring(0, Math.min(120, refused.getMessage().length())))
                    .isLessThanOrEqualTo(Frames.DEFAULT_MAX_PAYLOAD_BYTES);
        } finally {
            raw.release();
        }
    }
}
