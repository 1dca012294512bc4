package io.connectionswap.protocol.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.Frames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TraceParentTest {

    private static final String VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    @Test
    void acceptsTheSpecificationsExamplesAndALaterVersionWithMoreFields() {
        assertThat(TraceParent.isValid(VALID)).isTrue();
        assertThat(TraceParent.isValid("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")).isTrue();
        assertThat(TraceParent.isValid("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-comes")).isTrue();
        assertThat(TraceParent.traceId(VALID)).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        assertThat(TraceParent.parentId(VALID)).isEqualTo("b7ad6b7169203331");
        assertThat(TraceParent.sampled(VALID)).isTrue();
        assertThat(TraceParent.sampled("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")).isFalse();
    }

    @Test
    void refusesWhatTheSpecificationSaysToIgnore() {
        assertThat(TraceParent.isValid(null)).isFalse();
        assertThat(TraceParent.isValid("")).isFalse();
        assertThat(TraceParent.isValid(VALID.toUpperCase())).as("uppercase hex").isFalse();
        assertThat(TraceParent.isValid("ff" + VALID.substring(2))).as("version ff").isFalse();
        assertThat(TraceParent.isValid("00-00000000000000000000000000000000-b7ad6b7169203331-01")).as("zero trace id")
                .isFalse();
        assertThat(TraceParent.isValid("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")).as("zero parent id")
                .isFalse();
        assertThat(TraceParent.isValid(VALID + "-more")).as("version 00 has exactly four fields").isFalse();
        assertThat(TraceParent.isValid(VALID.substring(0, 54))).as("short").isFalse();
        assertThat(TraceParent.isValid(VALID.replace('-', '_'))).isFalse();
        assertThat(TraceParent.isValid("01" + VALID.substring(2) + "-a\r\nX-Injected: 1")).as("header injection")
                .isFalse();
        assertThat(TraceParent.isValid("01" + VALID.substring(2) + "-" + "a".repeat(300))).as("too long").isFalse();
        assertThat(TraceParent.validOrNull("garbage")).isNull();
        assertThat(TraceParent.validOrNull(VALID)).isEqualTo(VALID);
    }

    @Test
    void aGenerationRequestCarriesAValidTraceparentOnEveryLegAndRefusesAnInvalidOne() {
        GenerationRequest request = GenerationRequest.completion("g-1", "p", 10).withTraceparent(VALID);
        GenerationRequest resumed = request.resumedAfter(4, "abcd", "worker-a");
        assertThat(resumed.traceparent()).isEqualTo(VALID);
        assertThat(resumed.migrations()).isEqualTo(1);
        assertThat(request.withTraceparent(null).traceparent()).isNull();

        assertThatThrownBy(() -> request.withTraceparent("00-abc\n-x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("traceparent: '00-abc?-x'")
                .hasMessageContaining("W3C");
    }

    @Test
    void anInvalidTraceparentOnTheWireIsAMalformedRequest() {
        ByteBuf valid = MessageCodec.encode(Unpooled.buffer().alloc(),
                GenerationRequest.completion("g-1", "p", 10).withTraceparent(VALID));
        String json = valid.toString(Frames.HEADER_BYTES, valid.readableBytes() - Frames.HEADER_BYTES,
                StandardCharsets.UTF_8).replace(VALID, "not-a-traceparent");
        valid.release();
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        RawFrame frame = new RawFrame(FrameType.GENERATE, Unpooled.buffer().writeByte(FrameType.GENERATE.code())
                .writeInt(payload.length).writeBytes(payload));
        try {
            assertThatThrownBy(() -> MessageCodec.decode(frame))
                    .isInstanceOfSatisfying(ProtocolException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.MALFORMED_MESSAGE))
                    .hasMessageContaining("traceparent: 'not-a-traceparent'");
        } finally {
            frame.release();
        }
    }
}
