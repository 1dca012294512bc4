package io.connectionswap.client.gateway;

import static io.connectionswap.client.gateway.EmbeddedHttp.answer;
import static io.connectionswap.client.gateway.EmbeddedHttp.releaseInbound;
import static io.connectionswap.client.gateway.EmbeddedHttp.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.netty.NettyPipeline;

/**
 * Behind a real HTTP/1.1 codec: the one count per connection of requests read and answers written that
 * {@link MalformedRequests} and {@link RequestBodyDeadline} both read, and where it sits among them.
 */
class HttpExchangeLedgerTest {

    @Test
    void countsRequestHeadsAndEndsAsTheyAreRead() {
        EmbeddedChannel channel = httpChannel();
        HttpExchangeLedger ledger = HttpExchangeLedger.of(channel.pipeline());

        send(channel, "POST /v1/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhel");
        assertThat(ledger.heads()).isEqualTo(1);
        assertThat(ledger.ends()).as("the body is still coming").isZero();

        send(channel, "lo" + "GET /v1/models HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(ledger.heads()).isEqualTo(2);
        assertThat(ledger.ends()).as("a request without a body ends with its head").isEqualTo(2);
        releaseInbound(channel);
    }

    @Test
    void countsAnswersAsTheyAreWrittenAndNotA100Continue() {
        EmbeddedChannel channel = httpChannel();
        HttpExchangeLedger ledger = HttpExchangeLedger.of(channel.pipeline());
        send(channel, "POST /v1/completions HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");

        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        assertThat(ledger.answersStarted()).isZero();
        assertThat(ledger.answers()).isZero();

        channel.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        channel.writeOutbound(new DefaultHttpContent(Unpooled.copiedBuffer("data: x\n\n", StandardCharsets.UTF_8)));
        assertThat(ledger.answersStarted()).isEqualTo(1);
        assertThat(ledger.answers()).as("a streamed answer still running").isZero();

        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(ledger.answers()).isEqualTo(1);
        releaseInbound(channel);
        answer(channel);
    }

    @Test
    void whateverTheOrderOfInstallingItSitsBehindTheRefusalsAndAheadOfTheDeadline() {
        EmbeddedChannel deadlineFirst = httpChannel();
        installDeadline(deadlineFirst);
        MalformedRequests.install(deadlineFirst.pipeline(), code -> { });

        EmbeddedChannel refusalsFirst = httpChannel();
        MalformedRequests.install(refusalsFirst.pipeline(), code -> { });
        installDeadline(refusalsFirst);

        for (EmbeddedChannel channel : new EmbeddedChannel[] {deadlineFirst, refusalsFirst}) {
            assertThat(channel.pipeline().names()).containsSubsequence(NettyPipeline.HttpCodec, MalformedRequests.NAME,
                    HttpExchangeLedger.NAME, RequestBodyDeadline.NAME);
            assertThat(channel.pipeline().toMap().values()).filteredOn(HttpExchangeLedger.class::isInstance)
                    .as("one ledger per connection").hasSize(1);
        }
    }

    @Test
    void aPipelineWithoutAnHttpCodecHasNoLedger() {
        EmbeddedChannel channel = new EmbeddedChannel();
        assertThat(HttpExchangeLedger.of(channel.pipeline())).isNull();
        assertThat(channel.pipeline().get(HttpExchangeLedger.NAME)).isNull();
    }

    private static void installDeadline(EmbeddedChannel channel) {
        Duration timeout = Duration.ofSeconds(1);
        RequestBodyDeadline.install(channel.pipeline(), timeout, RequestBodyDeadline.timeoutAnswer(timeout), () -> { });
    }

    private static EmbeddedChannel httpChannel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(NettyPipeline.HttpCodec, new HttpServerCodec());
        return channel;
    }
}
