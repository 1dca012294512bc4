package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.swapclient.GenerationException;
import org.junit.jupiter.api.Test;

/**
 * 9fb7ae1 said that with a zero wait (CONNECTION_SWAP_GATEWAY_WORKER_WAIT=0s) "the first break since the last token is
 * always resumed once" and that a generation on a connection found lost "resumes" on the next connection (the answer
 * wait floor's reason). But a break on a lost connection went to awaitConnection, whose timeout was the remaining
 * noWorkerWait, zero: the generation failed NO_HEALTHY_WORKER ("no connection to a director within PT0S") before any
 * reconnect could happen, however healthy the next director was. Found by a reviewer.
 */
class GenerationRunZeroWaitConnectionLostTest extends ZeroWaitRunFixture {

    /** Starts a zero-wait generation, takes its first token and loses the connection under it. */
    private FakeTransport.FakeLeg loseTheConnectionAfterTheFirstToken() {
        FakeTransport.FakeLeg first = streaming();

        transport.connected = false; // the heartbeat timeout found the connection lost
        first.events.broken("connection lost");
        return first;
    }

    @Test
    void aZeroWaitGenerationResumesOnceAfterItsConnectionIsLost() {
        loseTheConnectionAfterTheFirstToken();
        loop.advance(50 * MS); // the client redials
        transport.connect();

        assertThat(subscriber.failure).as("the first break since the last token is resumed once").isNull();
        assertThat(transport.legs).as("resumed on the new connection").hasSize(2);
        assertThat(transport.last().request.resumeAfter()).isEqualTo(1);
    }

    /** The floor bounded the wait for the next connection: a connection that did not come back failed the generation. */
    @Test
    void aZeroWaitGenerationWaitsForTheNextConnectionAtMostTheFloor() {
        transport.problem = "cannot connect to director 127.0.0.1:1 (tls.name=127.0.0.1): refused";
        loseTheConnectionAfterTheFirstToken();

        loop.advance(RetryWaits.WAIT_FLOOR.toNanos() - MS);
        assertThat(subscriber.failure).as("still waiting within the floor").isNull();

        loop.advance(MS);
        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class, failure -> {
            assertThat(failure.code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
            assertThat(failure.detail()).isEqualTo("no connection to a director within PT10S: "
                    + "cannot connect to director 127.0.0.1:1 (tls.name=127.0.0.1): refused");
        });
        assertThat(transport.waiters).as("the wish for a connection was withdrawn").isEmpty();
    }

    /** One resume per break since the last token: a second lost connection before any token ended the generation. */
    @Test
    void aSecondLostConnectionBeforeAnyTokenEndsAZeroWaitGeneration() {
        loseTheSecondConnectionBeforeAnyToken();
        loop.advance(MS);

        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class,
                failure -> assertThat(failure.code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER));
        assertThat(transport.legs).hasSize(2);
    }

    /**
     * The same when the next connection is up before the loop runs again: a loop held up (CPU contention) right after
     * the redial's first packet reads the director's whole handshake in the same turn as the wait's timeout, which is
     * due at once (the wait was over), and the connection came first. The generation resumed there, and after each
     * further lost connection again, for as long as the redials kept winning (SwapClientAnswerWaitHeartbeatTest, under
     * load: four connections in 40 s for a generation that waits 3 s). Whether it ends depended on the loop's speed.
     */
    @Test
    void aSecondLostConnectionBeforeAnyTokenEndsAZeroWaitGenerationThoughTheNextConnectionIsUpFirst() {
        loseTheSecondConnectionBeforeAnyToken();
        transport.connect(); // the redial's handshake read before the loop ran the timeout due now
        loop.advance(MS);

        assertThat(transport.legs).as("no third leg: the second break since the last token is not resumed")
                .hasSize(2);
        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class,
                failure -> assertThat(failure.code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER));
    }

    /** A token reset the count: the next lost connection was the first break again, and resumed. */
    @Test
    void aTokenOnTheNewConnectionGivesTheNextLostConnectionItsResume() {
        loseTheConnectionAfterTheFirstToken();
        transport.connect();
        FakeTransport.FakeLeg second = transport.last();
        second.events.assigned(new Connected("worker-a", "conn-2", 4, "gen-1", 1, "m"));
        second.events.token(new Token(2, "b"));

        transport.connected = false;
        second.events.broken("connection lost");
        loop.advance(5_000 * MS);
        transport.connect();

        assertThat(subscriber.failure).isNull();
        assertThat(transport.legs).hasSize(3);
        assertThat(transport.last().request.resumeAfter()).isEqualTo(2);
    }

    /** The generation resumes on the next connection after a first break, which is lost too before any token. */
    private void loseTheSecondConnectionBeforeAnyToken() {
        loseTheConnectionAfterTheFirstToken();
        transport.connect();
        FakeTransport.FakeLeg second = transport.last();
        loop.advance(20 * MS);
        transport.connected = false;
        second.events.broken("connection lost");
    }
}
