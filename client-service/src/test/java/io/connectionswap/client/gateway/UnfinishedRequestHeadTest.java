package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import reactor.netty.NettyPipeline;

/**
 * Behind a real HTTP/1.1 codec: a connection closed before its head was whole gives one INFO line and nothing past the
 * handler (reactor-netty would log it as a WARN and answer a closed connection); whole heads, their bodies and a
 * malformed head on an open connection pass on as they were.
 */
class UnfinishedRequestHeadTest {

    private static final String HEAD_CUT_IN_ITS_HEADERS = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nCont";

    @Test
    void aConnectionClosedBeforeItsHeadWasWholeIsOneInfoLineAndNothingMore() {
        EmbeddedChannel channel = httpChannel(new HttpServerCodec());
        try (CapturedLogs logs = CapturedLogs.of(UnfinishedRequestHead.class)) {
            write(channel, HEAD_CUT_IN_ITS_HEADERS);
            assertThat((Object) channel.readInbound()).as("nothing while the head is coming").isNull();

            channel.close();

            assertThat((Object) channel.readInbound()).as("the failed head stops here").isNull();
            assertThat(logs.events()).singleElement().satisfies(event -> {
                assertThat(event.getLevel()).isEqualTo(Level.INFO);
                assertThat(event.getFormattedMessage())
                        .contains("http connection closed before its request head was whole", "remote=")
                        .doesNotContain("chat/completions"); // nothing of what the peer sent
            });
        }
    }

    /** What the handler is for: Netty's codec hands on a failed head at the close, which reactor-netty logs at WARN. */
    @Test
    void withoutTheHandlerTheCodecHandsOnAHeadFailedByThePrematureClose() {
        EmbeddedChannel channel = new EmbeddedChannel(new HttpServerCodec());
        write(channel, HEAD_CUT_IN_ITS_HEADERS);

        channel.close();

        HttpRequest failed = channel.readInbound();
        assertThat(failed.decoderResult().cause()).isInstanceOf(PrematureChannelClosureException.class);
        assertThat(failed.uri()).isEqualTo("/v1/chat/completions");
    }

    @Test
    void aWholeHeadAndTheBodyAfterItPassOnAndABodyCutShortLogsNothingHere() {
        EmbeddedChannel channel = httpChannel(new HttpServerCodec());
        try (CapturedLogs logs = CapturedLogs.of(UnfinishedRequestHead.class)) {
            write(channel, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 40\r\n\r\n{\"mod");
            HttpRequest head = channel.readInbound();
            assertThat(head.decoderResult().isSuccess()).isTrue();
            HttpContent part = channel.readInbound();
            assertThat(part.content().toString(StandardCharsets.US_ASCII)).isEqualTo("{\"mod");
            part.release();

            channel.close(); // the request reading the body learns of it from the closed connection

            assertThat((Object) channel.readInbound()).isNull();
            assertThat(logs.events()).isEmpty();
        }
    }

    @Test
    void aMalformedHeadOnAnOpenConnectionStillReachesTheServerForItsAnswer() {
        EmbeddedChannel channel = httpChannel(new HttpServerCodec(16, 8192, 8192));
        try (CapturedLogs logs = CapturedLogs.of(UnfinishedRequestHead.class)) {
            write(channel, "GET /a/request/line/longer/than/sixteen/bytes HTTP/1.1\r\n\r\n");

            Object failed = channel.readInbound();
            assertThat(failed).isInstanceOf(HttpRequest.class);
            assertThat(((HttpRequest) failed).decoderResult().cause()).isInstanceOf(TooLongFrameException.class);
            ReferenceCountUtil.release(failed);
            assertThat(channel.isActive()).isTrue();
            assertThat(logs.events()).isEmpty();
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aPipelineWithoutAnHttpCodecIsLeftAlone() {
        EmbeddedChannel channel = new EmbeddedChannel();
        UnfinishedRequestHead.install(channel.pipeline());
        assertThat(channel.pipeline().get(UnfinishedRequestHead.NAME)).isNull();
    }

    private static EmbeddedChannel httpChannel(HttpServerCodec codec) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(NettyPipeline.HttpCodec, codec);
        UnfinishedRequestHead.install(channel.pipeline());
        return channel;
    }

    private static void write(EmbeddedChannel channel, String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
    }
}
