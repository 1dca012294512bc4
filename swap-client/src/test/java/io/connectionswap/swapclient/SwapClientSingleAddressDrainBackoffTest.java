package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * One director address (a Kubernetes Service) and a rolling restart behind it. The client's connection backoff had
 * grown to its cap before (the director refused its first connections at once: it was starting, or at its connection
 * limit; or an earlier restart's failed redials), then a connection held for long. Now the director drains: GOAWAY,
 * then it closes the idle connection, and the director behind the address is not ready at once (its first
 * connections closed at once). A connection that lived resets the backoff (DirectorLink.lost): the redials start
 * again from the first wait (here 20 ms, doubling). Since the client leaves the connection on GOAWAY with a single
 * address too, its close takes the "was leaving" path, which neither resets the backoff nor forgets the problems met
 * before: the redials after the restart wait up to the cap (here 4 s) each, so a drained generation's 10 s floor holds
 * two or three dials instead of seven, and the first "cannot reach director" line is a DEBUG repeat.
 */
class SwapClientSingleAddressDrainBackoffTest {

    @AutoClose
    private FakeDirector director;
    @AutoClose
    private SwapClient client;

    @Test
    void redialsAfterADrainedConnectionThatLivedStartAgainFromTheFirstBackoff() throws Exception {
        director = new FakeDirector(RepositoryPki.certs());
        director.onMessage = (stream, message) -> {
            if (message instanceof GenerationRequest) {
                stream.writeAndFlush(new StreamError(ErrorCode.SHUTTING_DOWN, "director d-1 is shutting down"));
            }
        };
        director.closeAtOnce.set(8); // the backoff grows to its cap: 20 ms doubling, 4 s after 8 failed attempts
        client = SwapClient.builder().directors(director.address()).certificates(RepositoryPki.certs().toString())
                .retryBackoff(Duration.ofMillis(20), Duration.ofSeconds(4)).build().start();
        await("a connection that holds").atMost(Duration.ofSeconds(40)).until(() -> {
            ConnectionState state = client.connectionState();
            return director.accepted.size() >= 9 && state.connected()
                    && state.connectedSince().isBefore(Instant.now().minusMillis(1_500));
        });

        // the director drains: GOAWAY; a zero-wait generation then finds the connection leaving (or, the GOAWAY not
        // read yet, is refused SHUTTING_DOWN, which leaves it too)
        director.goAway();
        Recorder probe = Recorder.requestingAll();
        client.completion("m", "p", SamplingParameters.maxTokens(1), GenerationOptions.waitAtMost(Duration.ZERO))
                .subscribe(probe);
        assertThat(probe.ended().get(10, TimeUnit.SECONDS)).as("the probe generation ends").isNotNull();

        // the drained director closes the idle connection; behind the address the restarted director refuses the
        // first five connections at once, then takes the sixth
        int before = director.accepted.size();
        director.closeAtOnce.set(5);
        director.closeConnections();

        // from the first backoff (ceilings 20, 40, 80, 160, 320 ms) the six dials take well under a second; from the
        // cap (each wait drawn below 4 s) they take about 10 s
        await("the director behind the address reached again within the first backoffs")
                .atMost(Duration.ofMillis(3_500)).until(() -> director.accepted.size() >= before + 6);
    }
}
