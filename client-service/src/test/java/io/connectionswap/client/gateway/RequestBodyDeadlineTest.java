package io.connectionswap.client.gateway;

import static io.connectionswap.client.gateway.EmbeddedHttp.answer;
import static io.connectionswap.client.gateway.EmbeddedHttp.releaseInbound;
import static io.connectionswap.client.gateway.EmbeddedHttp.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.testsupport.log.CapturedLogs;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.netty.NettyPipeline;

/**
 * Behind a real HTTP/1.1 codec, on the channel's own clock: a body that does not arrive within the request timeout
 * of its head closes the connection, with a 408 while its request is unanswered; a request pipelined behind a running
 * answer gets its clock only once that answer ends. The same over real sockets is {@code GatewayTimeoutsIT}'s.
 */
class RequestBodyDeadlineTest {

    private static final long TIMEOUT_MS = 1_000;
    private static final String HEAD_OF_FIVE_BYTES =
            "POST /v1/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";

    private final CapturedLogs logs = CapturedLogs.of(RequestBodyDeadline.class);
    private final AtomicInteger expired = new AtomicInteger();

    @AfterEach
    void stopListening() {
        logs.close();
    }

    @Test
    void aBodyThatDoesNotArriveInTimeGetsA408AndTheConnectionCloses() {
        EmbeddedChannel channel = timedChannel();
        send(channel, HEAD_OF_FIVE_BYTES + "he");

        channel.advanceTimeBy(TIMEOUT_MS - 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).as("not before the timeout").isTrue();

        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        assertThat(answer(channel)).startsWith("HTTP/1.1 408 Request Timeout\r\n")
                .contains("connection: close\r\n", "\"code\":\"request_timeout\"");
        assertThat(channel.isOpen()).isFalse();
        assertThat(expired).hasValue(1);
        assertThat(logs.events()).singleElement().satisfies(event -> assertThat(event.getFormattedMessage())
                .contains("a request body did not arrive within the request timeout", "waited.ms=1000",
                        "answered=false"));
        releaseInbound(channel);
    }

    @Test
    void aBodyThatArrivesInTimeStopsTheClock() {
        EmbeddedChannel channel = timedChannel();
        send(channel, HEAD_OF_FIVE_BYTES + "he");
        send(channel, "llo");

        channel.advanceTimeBy(10 * TIMEOUT_MS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        assertThat(channel.isOpen()).isTrue();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(expired).hasValue(0);
        releaseInbound(channel);
    }

    @Test
    void aRequestPipelinedBehindARunningAnswerGetsItsClockWhenThatAnswerEnds() {
        EmbeddedChannel channel = timedChannel();
        send(channel, "GET /v1/models HTTP/1.1\r\nHost: h\r\n\r\n" + HEAD_OF_FIVE_BYTES);
        channel.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));

        channel.advanceTimeBy(10 * TIMEOUT_MS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).as("the server reads nothing of it while the first answer runs").isTrue();

        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        answer(channel);
        channel.advanceTimeBy(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        assertThat(answer(channel)).startsWith("HTTP/1.1 408 ");
        assertThat(channel.isOpen()).isFalse();
        releaseInbound(channel);
    }

    /** After an early answer reactor-netty would read and drop the body with no limit: the clock still runs. */
    @Test
    void aBodyThatDoesNotArriveAfterAnEarlyAnswerJustClosesTheConnection() {
        EmbeddedChannel channel = timedChannel();
        send(channel, HEAD_OF_FIVE_BYTES);
        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.UNAUTHORIZED));
        assertThat(answer(channel)).startsWith("HTTP/1.1 401 ");

        channel.advanceTimeBy(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        assertThat((Object) channel.readOutbound()).as("no second answer to one request").isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(logs.events()).singleElement().satisfies(event -> assertThat(event.getFormattedMessage())
                .contains("answered=true"));
        releaseInbound(channel);
    }

    private EmbeddedChannel timedChannel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(NettyPipeline.HttpCodec, new HttpServerCodec());
        Duration timeout = Duration.ofMillis(TIMEOUT_MS);
        RequestBodyDeadline.install(channel.pipeline(), timeout, RequestBodyDeadline.timeoutAnswer(timeout),
                expired::incrementAndGet);
        return channel;
    }
}
