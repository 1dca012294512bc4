package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * One director address (a Kubernetes Service). The director behind it says GOAWAY but does not close the connection
 * (DirectorDrain holds a connection opened during its drain until the drain's timeout; a director stuck in its drain
 * never closes it). Since 10f0ddb the client leaves the connection on GOAWAY with one address too and, unlike with
 * several addresses (DirectorLink.goingAway: the next address, after the backoff when the GOAWAY came at once), dials
 * nothing until the director closes it (DirectorLink.lost). Meanwhile isConnected() is false: every generation waits
 * for a connection that never comes (a zero wait fails at once, a bounded one at its wait, WAIT_FOREVER for ever),
 * although the address, dialled again, would reach a ready director. Right behaviour: a left connection the director
 * does not close within a bounded time (a backoff, a heartbeat timeout) is followed by a new dial of the address.
 */
class SwapClientSingleAddressGoAwayNoCloseTest {

    @AutoClose
    private FakeDirector director;
    @AutoClose
    private SwapClient client;

    @Test
    void aGenerationAfterAGoAwayWithoutCloseIsServedOnANewConnection() throws Exception {
        director = new FakeDirector(RepositoryPki.certs());
        director.onMessage = (stream, message) -> {
            if (message instanceof GenerationRequest request && stream.parent() == director.accepted.get(0)) {
                // the draining director (the GOAWAY not read yet when the stream opened)
                stream.writeAndFlush(new StreamError(ErrorCode.SHUTTING_DOWN, "director d-1 is shutting down"));
            } else if (message instanceof GenerationRequest request) {
                stream.write(new Connected("worker-a", "conn-1", stream.streamId(), request.generationId(), 0, "m"));
                stream.write(new Token(1, "a"));
                stream.writeAndFlush(new End(request.generationId(), 1, "length", null));
            }
        };
        client = SwapClient.builder().directors(director.address()).certificates(RepositoryPki.certs().toString())
                .build().start();
        await("connected").atMost(Duration.ofSeconds(10)).until(() -> client.connectionState().connected()
                && director.accepted.size() == 1 && director.control.size() == 1);
        int before = director.accepted.size();

        director.goAway(); // and never closes the connection

        Recorder generation = Recorder.requestingAll();
        client.completion("m", "p", SamplingParameters.maxTokens(1), GenerationOptions.waitAtMost(Duration.ofSeconds(60)))
                .subscribe(generation);
        await("the address dialled again").atMost(Duration.ofSeconds(15))
                .until(() -> director.accepted.size() > before);
        await("the generation served on the new connection").atMost(Duration.ofSeconds(10))
                .until(() -> generation.completed);
        assertThat(generation.text()).isEqualTo("a");
    }
}
