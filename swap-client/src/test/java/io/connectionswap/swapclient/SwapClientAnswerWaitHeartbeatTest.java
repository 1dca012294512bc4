package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.testsupport.tls.RepositoryPki;
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
        await().atMost(Duration.ofSeconds(10)).until(() -> client.connectionState().connected());
        director.silent = true; // from now on no echo, no answer: the connection is lost 12 s after its last echo

        Recorder generation = Recorder.requestingAll();
        client.completion("stand-in", "p", SamplingParameters.maxTokens(3), GenerationOptions.waitAtMost(
                Duration.ofSeconds(3))).subscribe(generation);

        Throwable failure = generation.ended().get(40, TimeUnit.SECONDS);
        assertThat(failure).isInstanceOf(GenerationException.class);
        assertThat(((GenerationException) failure).code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
        assertThat(((GenerationException) failure).detail())
                .as("the heartbeat timeout (12 s) finds the silent connection lost first; the answer wait must not "
                        + "fail the generation before it")
                .doesNotContain("answered the stream with nothing");
    }
}
