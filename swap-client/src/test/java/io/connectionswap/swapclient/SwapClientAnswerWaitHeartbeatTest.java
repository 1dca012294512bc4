package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.testsupport.tls.RepositoryPki;
import io.netty.handler.codec.quic.QuicChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * 9fb7ae1: the wait for the director's first answer is at least 10 s "longer than the heartbeat timeout: a silently
 * dead connection is found lost first and the generation resumes". The floor was a constant, not derived from the
 * client's heartbeat timeout, which the builder (and the starter's connection-swap.client.heartbeat-timeout) may set
 * past 10 s: then a generation on a connection gone silent failed NO_HEALTHY_WORKER "the director answered the stream
 * with nothing" before the heartbeat found the connection lost. The floor is now also twice the heartbeat timeout.
 * Found by the review helper.
 *
 * <p>The heartbeat timeout is 12 s, past the 10 s floor, so the test takes the 12 s the client needs to find the
 * connection lost; the director answers the resume on the next connection, so it ends there (it waited for a second
 * silent connection to be lost too, 25 s, and under load for as many more as the redials won: see
 * GenerationRunZeroWaitConnectionLostTest).
 */
class SwapClientAnswerWaitHeartbeatTest {

    @AutoClose
    private FakeDirector director = new FakeDirector(RepositoryPki.certs());
    @AutoClose
    private SwapClient client;

    @Test
    void aConnectionGoneSilentIsFoundLostBeforeTheAnswerWaitFailsTheGeneration() throws Exception {
        client = SwapClient.builder().directors(director.address()).certificates(RepositoryPki.certs().toString())
                .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .heartbeat(Duration.ofSeconds(1), Duration.ofSeconds(12)).build().start();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> client.connectionState().connected() && director.accepted.size() == 1);
        QuicChannel first = director.accepted.get(0);
        // from now on no echo and no answer on the first connection: it is lost 12 s after its last echo; the next
        // connection's director answers the resume
        director.silent.add(first);
        director.onMessage = (stream, message) -> {
            if (message instanceof GenerationRequest request && stream.parent() != first) {
                stream.write(new Connected("worker-b", "conn-2", stream.streamId(), request.generationId(),
                        request.resumeAfter(), "stand-in"));
                stream.write(new Token(1, "a"));
                stream.writeAndFlush(new End(request.generationId(), 1, "length", null));
            }
        };

        Recorder generation = Recorder.requestingAll();
        client.completion("stand-in", "p", SamplingParameters.maxTokens(1), GenerationOptions.waitAtMost(
                Duration.ofSeconds(3))).subscribe(generation);

        // the heartbeat finds the connection lost within 13 s; the answer wait (24 s) is the bound under test
        Throwable failure = generation.ended().get(40, TimeUnit.SECONDS);
        assertThat(failure)
                .as("the heartbeat timeout (12 s) finds the silent connection lost first and the generation resumes "
                        + "on the next one; the answer wait must not fail the generation before it, yet: %s", failure)
                .isNull();
        assertThat(generation.text()).isEqualTo("a");
        assertThat(client.connectionState().reconnects()).as("resumed on the next connection").isEqualTo(1);
    }
}
