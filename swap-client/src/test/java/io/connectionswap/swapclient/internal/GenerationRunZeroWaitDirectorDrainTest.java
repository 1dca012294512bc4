package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A director that drained (GOAWAY on the control stream, then RETRY director_drain on each generation) moved a
 * zero-wait generation (waitAtMost(Duration.ZERO), the gateway's CONNECTION_SWAP_GATEWAY_WORKER_WAIT=0s) nowhere: with
 * its connection leaving, the resume waited for the next connection as long as the remaining wait, zero, so it failed
 * NO_HEALTHY_WORKER at once; resumed on the draining director itself (a single director address, or the RETRY read
 * before the GOAWAY), it was refused SHUTTING_DOWN and that refusal failed it at once, as a fresh generation that
 * finds no worker. Found by a reviewer.
 */
class GenerationRunZeroWaitDirectorDrainTest extends ZeroWaitRunFixture {

    /** The GOAWAY came first: the resume waited for the next connection and went on there. */
    @Test
    void aZeroWaitGenerationMovedByADrainResumesOnTheNextConnection() {
        FakeTransport.FakeLeg first = streaming();
        transport.connected = false; // GOAWAY: the connection is leaving, new streams wait for the next one
        first.events.retry(drain(1));

        loop.advance(300 * MS); // the draining director closes the idle connection; the client redials
        assertThat(subscriber.failure).as("a director's drain is no lack of workers").isNull();
        transport.connect();

        assertThat(transport.legs).as("resumed on the new connection").hasSize(2);
        assertThat(transport.last().request.resumeAfter()).isEqualTo(1);
        transport.last().events.assigned(new Connected("worker-b", "conn-2", 4, "gen-1", 1, "m"));
        transport.last().events.token(new Token(2, "b"));
        assertThat(subscriber.events).filteredOn(GenerationEvent.Swapped.class::isInstance).singleElement()
                .satisfies(swap -> assertThat(((GenerationEvent.Swapped) swap).reason())
                        .isEqualTo(Retry.DIRECTOR_DRAIN));
        assertThat(subscriber.failure).isNull();
    }

    /**
     * The resume opened on the draining director (its RETRY read before its GOAWAY, or a single address): its
     * SHUTTING_DOWN refusal (which leaves that connection) was a break, and the resume waited for the next connection.
     */
    @Test
    void aResumeRefusedShuttingDownWaitsForTheNextConnection() {
        FakeTransport.FakeLeg first = streaming();
        first.events.retry(drain(1));
        FakeTransport.FakeLeg resume = transport.last();
        assertThat(resume).as("resumed at once on the connection still up").isNotSameAs(first);

        transport.connected = false; // the refusal says the director is going away: its connection is leaving
        resume.events.refused(new StreamError(ErrorCode.SHUTTING_DOWN, "director d-1 is shutting down"));
        loop.advance(2_000 * MS);
        assertThat(subscriber.failure).as("a resume refused by a draining director is not given up").isNull();

        transport.connect();
        assertThat(transport.legs).hasSize(3);
        assertThat(transport.last().request.resumeAfter()).isEqualTo(1);
    }

    /** The floor counts from the drain: no connection within it failed the generation, saying why. */
    @Test
    void aDrainedZeroWaitGenerationWaitsForTheNextConnectionAtMostTheFloor() {
        FakeTransport.FakeLeg first = streaming();
        first.events.retry(drain(1));
        transport.connected = false;
        transport.problem = "cannot connect to director 127.0.0.1:1 (tls.name=127.0.0.1): refused";
        transport.last().events.refused(new StreamError(ErrorCode.SHUTTING_DOWN, "shutting down"));

        loop.advance(RetryWaits.WAIT_FLOOR.toNanos() - MS);
        assertThat(subscriber.failure).as("still waiting within the floor").isNull();
        loop.advance(MS);

        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class, failure -> {
            assertThat(failure.code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
            assertThat(failure.detail()).startsWith("no connection to a director within PT10S: cannot connect");
        });
        assertThat(transport.waiters).as("the wish for a connection was withdrawn").isEmpty();
    }

    /** A fresh generation refused SHUTTING_DOWN was never streaming: with a zero wait it failed at once, as before. */
    @Test
    void aFreshZeroWaitGenerationRefusedShuttingDownStillFailsAtOnce() {
        startWithAZeroWait();
        transport.connected = false;
        transport.last().events.refused(new StreamError(ErrorCode.SHUTTING_DOWN, "shutting down"));

        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class,
                failure -> assertThat(failure.code()).isEqualTo(ErrorCode.SHUTTING_DOWN));
        assertThat(transport.legs).hasSize(1);
    }
}
