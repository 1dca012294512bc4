package io.connectionswap.client.gateway;

import static io.connectionswap.client.gateway.EmbeddedHttp.answer;
import static io.connectionswap.client.gateway.EmbeddedHttp.send;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.netty.NettyPipeline;

/**
 * Behind a real HTTP/1.1 codec: a request the codec cannot decode is answered with OpenAI's error JSON and
 * {@code Connection: close} (after the answers ahead of it), logged once at INFO, and nothing of it passes on; a head cut
 * off by the close is one INFO line; whole requests pass on as they were.
 */
class MalformedRequestsTest {

    private static final String HEAD_CUT_IN_ITS_HEADERS = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nCont";
    private static final String GOOD_HEAD = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

    private final CapturedLogs logs = CapturedLogs.of(MalformedRequests.class);
    /** The error codes counted, in order. */
    private final List<String> refusals = new ArrayList<>();

    @AfterEach
    void stopListening() {
        logs.close();
    }

    /** What the handler is for: Netty's codec hands on a failed head, which reactor-netty answers on its own. */
    @Test
    void withoutTheHandlerTheCodecHandsOnAFailedHead() {
        EmbeddedChannel channel = new EmbeddedChannel(new HttpServerCodec());
        send(channel, HEAD_CUT_IN_ITS_HEADERS);

        channel.close();

        HttpRequest failed = channel.readInbound();
        assertThat(failed.decoderResult().cause()).isInstanceOf(PrematureChannelClosureException.class);
        assertThat(failed.uri()).isEqualTo("/v1/chat/completions");
    }

    @Test
    void aConnectionClosedBeforeItsHeadWasWholeIsOneInfoLineAndNothingMore() {
        EmbeddedChannel channel = httpChannel(new HttpServerCodec());
        send(channel, HEAD_CUT_IN_ITS_HEADERS);
        assertThat((Object) channel.readInbound()).as("nothing while the head is coming").isNull();

        channel.close();

        assertThat((Object) channel.readInbound()).as("the failed head stops here").isNull();
        assertThat(logs.events()).singleElement().satisfies(event -> {
            assertThat(event.getLevel()).isEqualTo(Level.INFO);
            assertThat(event.getFormattedMessage())
                    .contains("http connection closed before its request head was whole", "remote=")
                    .doesNotContain("chat/completions"); // nothing of what the peer sent
        });
        assertThat(refusals).as("not a refusal: nobody to answer").isEmpty();
    }

    @Test
    void aHeadThatDoesNotDecodeGetsA400WithOpenAisErrorJsonAndItsConnectionCloses() {
        EmbeddedChannel channel = httpChannel(new HttpServerCodec());

        send(channel, "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n");

        assertThat((Object) channel.readInbound()).isNull();
        assertThat(answer(channel)).startsWith("HTTP/1.1 400 Bad Request\r\n")
                .contains("content-type: application/json\r\n", "connection: close\r\n")
                .endsWith("{\"error\":{\"message\":\"the request is not valid HTTP/1.1: No colon found\","
                        + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"malformed_http\"}}");
        assertThat(channel.isOpen()).isFalse();
        assertThat(logs.events()).singleElement().satisfies(event -> {
            assertThat(event.getLevel()).isEqualTo(Level.INFO);
            assertThat(event.getFormattedMessage()).contains("status=400", "code=malformed_http",
                    "problem=\"the request is not valid HTTP/1.1: No colon found\"",
                    "gateway refused a malformed http request");
        });
        assertThat(refusals).containsExactly("malformed_http");
    }

    @Test
    void aRequestLineOverItsLimitGets414AndHeadersOverTheirsGet431() {
        EmbeddedChannel longLine = httpChannel(new HttpServerCodec(32, 64, 8192));
        send(longLine, "GET /v1/models?" + "a".repeat(64) + " HTTP/1.1\r\n\r\n");
        assertThat(answer(longLine)).startsWith("HTTP/1.1 414 ")
                .contains("\"code\":\"request_line_too_long\"");

        EmbeddedChannel bigHeaders = httpChannel(new HttpServerCodec(32, 64, 8192));
        send(bigHeaders, "GET / HTTP/1.1\r\nX-Big: " + "b".repeat(100) + "\r\n\r\n");
        assertThat(answer(bigHeaders)).startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n")
                .contains("\"code\":\"request_headers_too_large\"");
        assertThat(longLine.isOpen()).isFalse();
        assertThat(bigHeaders.isOpen()).isFalse();
        assertThat(refusals).containsExactly("request_line_too_long", "request_headers_too_large");
    }

    /** Spring cannot make a URI of these targets: it answered an empty 400 and logged nothing above DEBUG. */
    @Test
    void aTargetThatIsNoUriGetsA400WithOpenAisErrorJsonAndItsConnectionCloses() {
        for (String target : List.of("/v1/models/%zz", "/v1/mod\u0000els", "/v1/models/\u0001a", "/v1/models?q=%4")) {
            EmbeddedChannel channel = httpChannel(new HttpServerCodec());

            send(channel, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

            assertThat((Object) channel.readInbound()).as(target).isNull();
            assertThat(answer(channel)).as(target).startsWith("HTTP/1.1 400 Bad Request\r\n")
                    .contains("connection: close\r\n", "\"message\":\"the request URL is not valid: ",
                            "\"code\":\"malformed_http\"");
            assertThat(channel.isOpen()).isFalse();
        }
        assertThat(answerTo("/v1/models/%zz")).contains("Malformed escape pair at character 12 of the target");
        assertThat(refusals).hasSize(5).containsOnly("malformed_http");
        assertThat(logs.events()).hasSize(5).allSatisfy(event -> assertThat(event.getFormattedMessage())
                .contains("status=400", "problem=\"the request URL is not valid: ", "gateway refused a malformed http"));
    }

    @Test
    void targetsSpringReadsPassOn() {
        for (String target : List.of("/v1/models/meta-llama%2FLlama-3.1-8B", "/v1/models?a=b&c=%20d", "*",
                "http://127.0.0.1:8090/v1/models", "/v1/models/caf%C3%A9")) {
            EmbeddedChannel channel = httpChannel(new HttpServerCodec());

            send(channel, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

            HttpRequest passed = channel.readInbound();
            assertThat(passed).as(target).isNotNull();
            assertThat(passed.uri()).isEqualTo(target);
        }
        assertThat(refusals).isEmpty();
    }

    private String answerTo(String target) {
        EmbeddedChannel channel = httpChannel(new HttpServerCodec());
        send(channel, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        return answer(channel);
    }

    /** The codec decodes HTTP/2's cleartext preface as a request of HTTP/2.0; reactor-netty logged a WARN for it. */
    @Test
    void http2WithoutTlsGets505() {
        EmbeddedChannel channel = httpChannel(new HttpServerCodec());

        send(channel, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

        assertThat((Object) channel.readInbound()).isNull();
        assertThat(answer(channel)).startsWith("HTTP/1.1 505 ").endsWith("{\"error\":{\"message\":\"HTTP/2.0 is not "
                + "served on this port: send HTTP/1.1\",\"type\":\"invalid_request_error\",\"param\":null,"
                + "\"code\":\"http_version_not_supported\"}}");
        assertThat(channel.isOpen()).isFalse();
        assertThat(refusals).containsExactly("http_version_not_supported");
    }

    @Test
    void aMalformedHeadPipelinedBehindARequestIsAnsweredAfterThatRequestsAnswer() {
        EmbeddedChannel channel = httpChannel(new HttpServerCodec());

        send(channel, GOOD_HEAD + "BROKEN\r\n\r\n");

        HttpRequest good = channel.readInbound();
        assertThat(good.uri()).isEqualTo("/v1/models");
        LastHttpContent end = channel.readInbound();
        end.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat((Object) channel.readOutbound()).as("nothing before the first request's answer").isNull();
        assertThat(channel.isOpen()).isTrue();

        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer("{\"data\":[]}", StandardCharsets.UTF_8)));

        String answers = answer(channel);
        assertThat(answers).startsWith("HTTP/1.1 200 OK\r\n");
        assertThat(answers.indexOf("HTTP/1.1 400 Bad Request\r\n")).as("the 400 after the 200")
                .isGreaterThan(answers.indexOf("{\"data\":[]}"));
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aBodyWhoseChunksDoNotDecodeGetsA400WhileItsRequestIsUnanswered() {
        EmbeddedChannel channel = httpChannel(new HttpServerCodec());

        send(channel, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "ZZZ\r\nabc\r\n0\r\n\r\n");

        HttpRequest head = channel.readInbound();
        assertThat(head.uri()).isEqualTo("/v1/completions");
        assertThat((Object) channel.readInbound()).as("the failed body stops here").isNull();
        assertThat(answer(channel)).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("\"code\":\"malformed_http\"");
        assertThat(channel.isOpen()).isFalse();
        assertThat(logs.events()).singleElement().satisfies(event -> assertThat(event.getFormattedMessage())
                .contains("gateway refused a malformed http request body"));
        assertThat(refusals).containsExactly("malformed_http");
    }

    @Test
    void aBodyWhoseChunksDoNotDecodeAfterAnEarlyAnswerJustClosesTheConnection() {
        EmbeddedChannel channel = httpChannel(new HttpServerCodec());
        send(channel, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        HttpRequest head = channel.readInbound();
        assertThat(head.uri()).isEqualTo("/v1/completions");
        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.UNAUTHORIZED));
        assertThat(answer(channel)).startsWith("HTTP/1.1 401 Unauthorized\r\n");

        send(channel, "ZZZ\r\n");

        assertThat((Object) channel.readOutbound()).as("no second answer to one request").isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(refusals).as("still a request refused").containsExactly("malformed_http");
    }

    @Test
    void wholeRequestsPassOnAndLogNothing() {
        EmbeddedChannel channel = httpChannel(new HttpServerCodec());

        send(channel, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello");

        HttpRequest head = channel.readInbound();
        assertThat(head.decoderResult().isSuccess()).isTrue();
        HttpContent body = channel.readInbound();
        assertThat(body.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        body.release();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isTrue();
        assertThat(logs.events()).isEmpty();
        assertThat(refusals).isEmpty();
    }

    @Test
    void aPipelineWithoutAnHttpCodecIsLeftAlone() {
        EmbeddedChannel channel = new EmbeddedChannel();
        MalformedRequests.install(channel.pipeline(), refusals::add);
        assertThat(channel.pipeline().get(MalformedRequests.NAME)).isNull();
    }

    private EmbeddedChannel httpChannel(HttpServerCodec codec) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(NettyPipeline.HttpCodec, codec);
        MalformedRequests.install(channel.pipeline(), refusals::add);
        return channel;
    }
}
