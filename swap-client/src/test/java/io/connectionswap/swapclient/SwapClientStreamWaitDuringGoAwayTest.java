package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * A generation whose stream waits for director A's stream limit ({@code CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION})
 * when A says GOAWAY (a director rollout) opens on the next connection, B, as the client's new generations do, not
 * once a stream on A ends: A's streams may carry generations for minutes (until its drain's timeout), and a stream
 * opened on A then is refused anyway, while the wait for an answer runs out meanwhile (NO_HEALTHY_WORKER). A allows 3
 * streams: the control stream, the client token stream, and one generation, which A holds unanswered.
 */
class SwapClientStreamWaitDuringGoAwayTest {

    @AutoClose
    private FakeDirector a = new FakeDirector(RepositoryPki.certs(), 3);
    @AutoClose
    private FakeDirector b = new FakeDirector(RepositoryPki.certs());
    @AutoClose
    private SwapClient client;

    @Test
    void aStreamWaitingForTheLeavingDirectorsLimitOpensOnTheNextConnection() {
        client = SwapClient.builder().directors(a.address() + "," + b.address())
                .certificates(RepositoryPki.certs().toString())
                .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .heartbeat(Duration.ofMillis(100), Duration.ofSeconds(5)).build().start();
        await("connected to A").atMost(Duration.ofSeconds(10)).until(() -> client.connectionState().connected()
                && a.control.size() == 1);

        Recorder holding = Recorder.requestingAll();
        client.completion("stand-in", "holds A's one generation stream", SamplingParameters.maxTokens(3))
                .subscribe(holding);
        await("A holds the first generation's stream").atMost(Duration.ofSeconds(10))
                .until(() -> generationRequests(a) == 1);
        Recorder waiting = Recorder.requestingAll();
        client.completion("stand-in", "waits for a stream", SamplingParameters.maxTokens(3)).subscribe(waiting);
        await("the second generation waits for A's stream limit").atMost(Duration.ofSeconds(10))
                .until(() -> client.streamsWaiting() == 1);

        a.goAway();

        await("the waiting generation asks B, the next director, well before its answer wait (10 s) runs out")
                .atMost(Duration.ofSeconds(5))
                .until(() -> b.received.stream().anyMatch(message -> message instanceof GenerationRequest request
                        && request.prompt().equals("waits for a stream")));
        assertThat(client.streamsWaiting()).as("nothing waits on A any more").isZero();
        assertThat(generationRequests(a)).as("A, draining, got no further generation").isEqualTo(1);
    }

    private static long generationRequests(FakeDirector director) {
        return director.received.stream().filter(GenerationRequest.class::isInstance).count();
    }
}
