package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.testsupport.calls.RecordedCalls;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * A director rollout moves the client to another connection as a crash does, and both counted alike in
 * {@code connection_swap_client_reconnects_total}: its alert {@code SwapClientReconnects} fired on every planned
 * rollout. The listener is told why the client reconnected: the director said GOAWAY, or refused a stream with
 * SHUTTING_DOWN ({@code director_leaving}), or the connection was lost without either ({@code director_lost}).
 */
class SwapClientReconnectCauseTest {

    private static final Duration HEARTBEAT_INTERVAL = Duration.ofMillis(100);

    @AutoClose
    private FakeDirector a = new FakeDirector(RepositoryPki.certs());
    @AutoClose
    private FakeDirector b;
    @AutoClose
    private SwapClient client;
    @AutoClose
    private final CapturedLogs connectionLog = CapturedLogs.of("io.connectionswap.swapclient.DirectorConnection");
    @AutoClose
    private final CapturedLogs generationLog = CapturedLogs.of("io.connectionswap.swapclient.SwapClient");

    /** Every hook the client called, as {@code name(arguments)}, in order. */
    private final RecordedCalls<SwapClientListener> recording = RecordedCalls.of(SwapClientListener.class);

    @Test
    void aGoAwayWithAnotherAddressIsTheDirectorLeaving() {
        b = new FakeDirector(RepositoryPki.certs());
        connectTo(a.address() + "," + b.address());

        a.goAway();

        assertThat(reconnectsOnceConnectedTo(b, 1)).containsExactly("reconnected(DIRECTOR_LEAVING)");
    }

    @Test
    void aGoAwayWithOneAddressIsTheDirectorLeavingOnceItClosesTheConnection() {
        connectTo(a.address());

        a.goAway();
        awaitLogged("director is going away");
        a.closeConnections(); // drained: the director closes it; the client redials the address

        assertThat(reconnectsOnceConnectedTo(a, 2)).containsExactly("reconnected(DIRECTOR_LEAVING)");
    }

    @Test
    void aStreamRefusedShuttingDownIsTheDirectorLeaving() {
        AtomicInteger refused = refusingTheFirstRequestShuttingDown();
        connectTo(a.address());

        client.completion("m", "p", SamplingParameters.maxTokens(1)).subscribe(Recorder.requestingAll());
        await("the stream refused").atMost(Duration.ofSeconds(5)).until(() -> refused.get() == 1);
        awaitLogged("director refused a stream: shutting down; leaving its connection");
        a.closeConnections();

        assertThat(reconnectsOnceConnectedTo(a, 2)).containsExactly("reconnected(DIRECTOR_LEAVING)");
    }

    @Test
    void aConnectionLostWithoutAGoAwayIsTheDirectorLost() {
        connectTo(a.address());

        a.closeConnections(); // a crash, a network loss: nothing said before

        assertThat(reconnectsOnceConnectedTo(a, 2)).containsExactly("reconnected(DIRECTOR_LOST)");
    }

    /** A director whose drain ended before the client read a GOAWAY (or that sent none) still closes SHUTTING_DOWN. */
    @Test
    void aConnectionClosedShuttingDownIsTheDirectorLeaving() {
        connectTo(a.address());

        a.closeConnectionsShuttingDown();

        assertThat(reconnectsOnceConnectedTo(a, 2)).containsExactly("reconnected(DIRECTOR_LEAVING)");
    }

    /**
     * The director's drain ended before the client read its GOAWAY: its close with SHUTTING_DOWN is a planned move, so
     * the line of the lost connection is INFO and says so, not a WARN in every client's log at each rollout.
     */
    @Test
    void aConnectionClosedShuttingDownIsLoggedAtInfoAsTheDirectorLeaving() {
        connectTo(a.address());

        a.closeConnectionsShuttingDown();
        reconnectsOnceConnectedTo(a, 2);

        ILoggingEvent lost = loggedLine("lost connection to director; reconnecting");
        assertThat(lost.getLevel()).isEqualTo(Level.INFO);
        assertThat(lost.getFormattedMessage()).contains("cause=director_leaving", "closed.by=");
    }

    /** A close without SHUTTING_DOWN (a crash, a network loss) stays a WARN. */
    @Test
    void aConnectionClosedWithoutShuttingDownIsLoggedAtWarnAsTheDirectorLost() {
        connectTo(a.address());

        a.closeConnections();
        reconnectsOnceConnectedTo(a, 2);

        ILoggingEvent lost = loggedLine("lost connection to director; reconnecting");
        assertThat(lost.getLevel()).isEqualTo(Level.WARN);
        assertThat(lost.getFormattedMessage()).contains("cause=director_lost");
    }

    /**
     * A new generation opened as the director's drain began (its GOAWAY not read yet) is refused SHUTTING_DOWN: a
     * planned move, which opens the generation at the next connection. Its line is INFO and names the director's
     * drain, not a WARN "no healthy worker" in every client's log at each rollout.
     */
    @Test
    void aNewGenerationRefusedShuttingDownIsLoggedAtInfoNotAsNoHealthyWorker() {
        AtomicInteger requests = refusingTheFirstRequestShuttingDown();
        connectTo(a.address());

        client.completion("m", "p", SamplingParameters.maxTokens(1)).subscribe(Recorder.requestingAll());
        awaitLogged("director refused a stream: shutting down; leaving its connection");
        a.closeConnectionsShuttingDown();
        reconnectsOnceConnectedTo(a, 2);
        await("the generation opened at the next connection").atMost(Duration.ofSeconds(10))
                .until(() -> requests.get() == 2);

        assertThat(generationLog.events()).filteredOn(event -> event.getLevel().isGreaterOrEqual(Level.WARN))
                .extracting(ILoggingEvent::getFormattedMessage).isEmpty();
        assertThat(generationLog.events())
                .filteredOn(event -> event.getFormattedMessage().contains("error=SHUTTING_DOWN")).singleElement()
                .satisfies(event -> assertThat(event.getLevel()).isEqualTo(Level.INFO));
    }

    /** After a planned move, the next loss is a loss: the cause is the one of each move, not the first. */
    @Test
    void aLossAfterAGoAwayIsTheDirectorLost() {
        b = new FakeDirector(RepositoryPki.certs());
        connectTo(a.address() + "," + b.address());
        a.goAway();
        reconnectsOnceConnectedTo(b, 1);
        a.closeConnections(); // drained
        livedAHeartbeatInterval();

        b.closeConnections(); // lost: the client goes back to A, which did not say GOAWAY on this connection

        await("reconnected to A").atMost(Duration.ofSeconds(10))
                .until(() -> client.connectionState().reconnects() == 2 && a.accepted.size() == 2);
        assertThat(reconnects()).containsExactly("reconnected(DIRECTOR_LEAVING)", "reconnected(DIRECTOR_LOST)");
    }

    private void connectTo(String directors) {
        client = SwapClient.builder().directors(directors).certificates(RepositoryPki.certs().toString())
                .listener(recording.target()).retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .heartbeat(HEARTBEAT_INTERVAL, Duration.ofSeconds(5)).build().start();
        await("connected to A").atMost(Duration.ofSeconds(10)).until(() -> client.connectionState().connected()
                && a.control.size() == 1);
        livedAHeartbeatInterval();
    }

    /** A connection closed sooner is a failed attempt (a director at its limit), not the loss of one that served. */
    private void livedAHeartbeatInterval() {
        Instant since = client.connectionState().connectedSince();
        await("the connection lived a heartbeat interval").atMost(Duration.ofSeconds(10))
                .until(() -> Duration.between(since, Instant.now()).compareTo(HEARTBEAT_INTERVAL.multipliedBy(3)) > 0);
    }

    /** The client read what the director said before the director closes the connection: it may be lost otherwise. */
    private void awaitLogged(String message) {
        await(message).atMost(Duration.ofSeconds(5)).until(() -> connectionLog.events().stream()
                .anyMatch(event -> event.getFormattedMessage().endsWith(message)));
    }

    /** The one line the client logged with {@code message}. */
    private ILoggingEvent loggedLine(String message) {
        List<ILoggingEvent> lines = connectionLog.events().stream()
                .filter(event -> event.getFormattedMessage().endsWith(message)).toList();
        assertThat(lines).as("lines ending with '%s'", message).hasSize(1);
        return lines.get(0);
    }

    private List<String> reconnectsOnceConnectedTo(FakeDirector director, int accepted) {
        await("reconnected").atMost(Duration.ofSeconds(10)).until(() -> client.connectionState().connected()
                && client.connectionState().reconnects() == 1 && director.accepted.size() == accepted);
        return reconnects();
    }

    private List<String> reconnects() {
        return recording.calls("reconnected");
    }

    /** Director A refuses the first generation request with SHUTTING_DOWN; the count is of every request it got. */
    private AtomicInteger refusingTheFirstRequestShuttingDown() {
        AtomicInteger requests = new AtomicInteger();
        a.onMessage = (stream, message) -> {
            if (message instanceof GenerationRequest && requests.getAndIncrement() == 0) {
                stream.writeAndFlush(new StreamError(ErrorCode.SHUTTING_DOWN, "director a is shutting down"));
            }
        };
        return requests;
    }
}
