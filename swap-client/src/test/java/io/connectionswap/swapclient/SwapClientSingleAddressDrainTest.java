package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.testsupport.tls.RepositoryPki;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * One director address (a Kubernetes Service) whose director drains: GOAWAY on the control stream, then RETRY
 * director_drain on the generation, every new stream refused SHUTTING_DOWN until it closes the connection, idle; the
 * client then redials the address and reaches a ready director. With a single address the client did not leave the
 * connection on GOAWAY: the resume opened on the draining director, whose SHUTTING_DOWN refusal failed a zero-wait
 * generation (the gateway's CONNECTION_SWAP_GATEWAY_WORKER_WAIT=0s) at once, with tokens already delivered.
 */
class SwapClientSingleAddressDrainTest {

    @AutoClose
    private FakeDirector director;
    @AutoClose
    private SwapClient client;

    @AutoClose
    private final CapturedLogs connectionLog = CapturedLogs.of("io.connectionswap.swapclient.DirectorConnection");
    @AutoClose
    private final CapturedLogs generationLog = CapturedLogs.of("io.connectionswap.swapclient.SwapClient");

    private volatile boolean shuttingDown;
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicReference<QuicStreamChannel> first = new AtomicReference<>();
    private final Recorder generation = Recorder.requestingAll();

    /** A director at one address serving a zero-wait generation its first token, then draining. */
    private void streamingThenDraining() throws Exception {
        director = new FakeDirector(RepositoryPki.certs());
        director.onMessage = (stream, message) -> {
            if (!(message instanceof GenerationRequest request)) {
                return;
            }
            if (shuttingDown) {
                refused.incrementAndGet();
                stream.writeAndFlush(new StreamError(ErrorCode.SHUTTING_DOWN, "director d-1 is shutting down"));
            } else if (request.resumeAfter() == 0) {
                first.set(stream);
                stream.write(new Connected("worker-a", "conn-1", stream.streamId(), request.generationId(), 0, "m"));
                stream.writeAndFlush(new Token(1, "a"));
            } else {
                stream.write(new Connected("worker-b", "conn-2", stream.streamId(), request.generationId(),
                        request.resumeAfter(), "m"));
                stream.write(new Token(2, "b"));
                stream.writeAndFlush(new End(request.generationId(), 2, "length", null));
            }
        };
        client = SwapClient.builder().directors(director.address()).certificates(RepositoryPki.certs().toString())
                .tokenStream(false).retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                // not about heartbeats: a generous timeout, so that a director loop held up by CPU contention is no
                // lost director (WARN) in the log this test reads; the close is what the client acts on
                .heartbeat(Duration.ofSeconds(1), Duration.ofSeconds(15)).build().start();
        client.connected().get(10, TimeUnit.SECONDS); // a zero-wait generation waits for no connection
        client.completion("m", "p", SamplingParameters.maxTokens(2), GenerationOptions.waitAtMost(Duration.ZERO))
                .subscribe(generation);
        await("the first token").atMost(Duration.ofSeconds(10)).until(() -> generation.text().equals("a"));
        shuttingDown = true;
    }

    private void retryDirectorDrain() throws Exception {
        QuicStreamChannel stream = first.get();
        stream.eventLoop().submit(() -> stream.writeAndFlush(
                new Retry(Retry.DIRECTOR_DRAIN, 1, "worker-a", "director d-1 is shutting down"))).get(5,
                TimeUnit.SECONDS);
    }

    /** The draining director closes the idle connection; behind the address a ready director takes the resume. */
    private void readyBehindTheAddress() throws Exception {
        shuttingDown = false;
        director.closeConnections();
        Throwable failure = generation.ended().get(10, TimeUnit.SECONDS);

        assertThat(failure).as("resumed, not given up").isNull();
        assertThat(generation.text()).isEqualTo("ab");
        assertThat(client.connectionState().reconnects()).isEqualTo(1);
        assertThat(warningsAndErrors()).as("a planned move: nothing at WARN or ERROR in the client's log").isEmpty();
    }

    private List<String> warningsAndErrors() {
        return Stream.concat(connectionLog.events().stream(), generationLog.events().stream())
                .filter(event -> event.getLevel().isGreaterOrEqual(Level.WARN))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void aZeroWaitGenerationResumesOnTheNextConnectionThroughTheSameAddress() throws Exception {
        streamingThenDraining();
        director.goAway();
        retryDirectorDrain();
        Holds.throughout(Duration.ofMillis(500), () -> "the drained generation waits for the next connection, "
                + "yet failed: " + generation.failure, () -> generation.failure == null);

        readyBehindTheAddress();
    }

    /**
     * The RETRY read before the GOAWAY (or a director whose GOAWAY never came): the resume opened on the draining
     * director, and its SHUTTING_DOWN refusal left the connection as the GOAWAY does; the resume was not tried there
     * again and again.
     */
    @Test
    void aResumeRefusedShuttingDownLeavesTheConnection() throws Exception {
        streamingThenDraining();
        retryDirectorDrain();
        await("the resume refused").atMost(Duration.ofSeconds(5)).until(() -> refused.get() >= 1);
        Holds.throughout(Duration.ofMillis(500), () -> "the drained generation waits for the next connection, "
                + "yet failed: " + generation.failure, () -> generation.failure == null);
        assertThat(refused).as("no second try on the draining director").hasValue(1);

        readyBehindTheAddress();
    }
}
