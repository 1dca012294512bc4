package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.testsupport.tls.RepositoryPki;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.RepeatedTest;

/**
 * A director that writes a generation's last frames and closes the connection in the same turn of its loop (a drain
 * that ends as a generation ends). The client closes its side of a connection as it reads the director's
 * CONNECTION_CLOSE (shared-protocol's CloseOnPeerClose), and Netty hands the connection that event before it reads
 * the stream data of the same datagram: this pins that the frames written ahead of the close still reach the
 * generation (quiche sends stream data written before the close in datagrams of their own, each read whole before the
 * next), so a complete generation is not asked for again on the next connection (where a model that had stopped on
 * its own might add text).
 */
class SwapClientFramesBeforeCloseTest {

    @AutoClose
    private FakeDirector director = new FakeDirector(RepositoryPki.certs());
    @AutoClose
    private SwapClient client;

    @RepeatedTest(3)
    void theFramesAheadOfTheDirectorsCloseAreDelivered() throws Exception {
        client = SwapClient.builder().directors(director.address()).certificates(RepositoryPki.certs().toString())
                .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> client.connectionState().connected());
        AtomicInteger requests = new AtomicInteger();
        director.onMessage = (stream, message) -> {
            if (message instanceof GenerationRequest request && requests.incrementAndGet() == 1) {
                stream.write(new Connected("worker-a", "conn-1", stream.streamId(), request.generationId(),
                        request.resumeAfter(), "stand-in"));
                for (int i = 1; i <= 20; i++) {
                    stream.write(new Token(i, "t" + i + " "));
                }
                stream.writeAndFlush(new End(request.generationId(), 20, "stop", null));
                stream.parent().close(true, ErrorCode.SHUTTING_DOWN.code(),
                        Unpooled.copiedBuffer("director fake is shutting down", StandardCharsets.UTF_8));
            }
        };

        Recorder generation = Recorder.requestingAll();
        client.completion("stand-in", "p", SamplingParameters.maxTokens(20), GenerationOptions.waitAtMost(
                Duration.ofSeconds(3))).subscribe(generation);

        Throwable failure = generation.ended().get(20, TimeUnit.SECONDS);
        assertThat(failure).as("the generation's end").isNull();
        assertThat(requests.get()).as("generation requests: the complete generation was not asked for again")
                .isEqualTo(1);
        assertThat(generation.text()).startsWith("t1 ").endsWith("t20 ");
    }
}
