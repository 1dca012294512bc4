package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;

import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Clients of the real {@link Relay} that do not read what is relayed ({@link RelayFixture}): a slow client's stream
 * and a client token stream left unread are reset TOO_SLOW after the slow-client timeout, and a full client token
 * stream is passed by.
 */
class RelayClientStreamsTest extends RelayFixture {

    /**
     * A generation on its own client stream whose client's window filled just as its END was relayed: the session
     * had ended, so the slow-client watch no longer saw it, and the END and our FIN queued after it waited with no
     * bound, the stream and what was queued on it held for as long as the connection lived. The last write was held
     * to the slow-client rule of the tokens now: not reset within the linger, reset TOO_SLOW once the client had
     * read nothing of it for CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT. Found by the review helper.
     */
    @Test
    void aClientThatStopsReadingAsItsEndIsRelayedIsResetTooSlowAfterTheSlowClientTimeout() {
        healthyWorker("worker-a");
        EmbeddedQuicStream client = clientStream();
        client.freezeTime();
        client.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                // the relayed frames' writes, failed by the reset: ClientStreamHandler's, not this test's
            }
        });
        relay.open(client, "conn-1", GenerationRequest.completion("g-1", "p", 2));
        EmbeddedQuicStream worker = workerStream("worker-a", 0);
        fromWorker(worker, new Token(1, "a"));
        client.withholdCredit(); // the client's window is full from here on
        fromWorker(worker, new Token(2, " b"));
        fromWorker(worker, new End("g-1", 2, FinishReason.STOP, null));

        passOnClient(client, QuicStreams.DEFAULT_LINGER.plusSeconds(5));
        assertThat(client.resetCode()).as("a client as slow as allowed is not reset yet").isEqualTo(-1);
        passOnClient(client, LimitProperties.DEFAULTS.slowClientTimeout());

        assertThat(client.resetCode()).as("reset, with").isEqualTo(ErrorCode.TOO_SLOW.code());
        assertThat(client.isActive()).isFalse();
    }

    private static void passOnClient(EmbeddedQuicStream client, Duration time) {
        client.advanceTimeBy(time.toNanos(), TimeUnit.NANOSECONDS);
        client.runScheduledPendingTasks();
        client.runPendingTasks();
    }

    /**
     * A client that never read its client token stream: Relay.open put each new generation on it all the same, so a
     * client opening generation after generation had their frames queued there without bound (each generation was
     * reset TOO_SLOW after 30 s; the stream and what was queued on it stayed). A generation opened while the client
     * token stream cannot take more now has its frames on its own stream (a client takes them from either), where
     * not reading holds the worker back and the TOO_SLOW reset frees what waits.
     */
    @Test
    void aGenerationOpenedWhileTheClientTokenStreamIsFullGoesOnItsOwnStream() {
        healthyWorker("worker-a");
        EmbeddedQuicStream tokens = clientStream();
        tokens.unsafe().outboundBuffer().setUserDefinedWritability(1, false); // the client reads nothing of it
        EmbeddedQuicStream generation = clientStream();

        relay.open(generation, "conn-1", GenerationRequest.completion("g-1", "p", 3).withTokenStream(true), tokens);
        fromWorker(workerStream("worker-a", 0), new Connected("worker-a", "conn-1", 1, "g-1", 0, "stand-in"));
        tokens.flush();
        generation.flush();

        assertThat(tokens.outboundMessages()).as("frames queued on the full client token stream").isEmpty();
        assertThat(generation.outboundMessages()).as("CONNECTED on the generation's own stream").hasSize(1);
        assertThat(meterRegistry.get("connection.swap.client.token.stream.streams").counter().count()).isZero();
    }

    /**
     * A client that never reads its client token stream (the case 5758794 guards against) opened generation after
     * generation: each was served on its own stream, and each wrote an INFO line "client token stream full; serving
     * the stream on its own", unthrottled, as fast as the peer opened streams; it is now one line per connection and a
     * count (ConnectionProblems), as the other problems a peer repeats. Found by the review helper.
     */
    @Test
    void aClientThatNeverReadsItsTokenStreamGetsOneFullLineNotOnePerGeneration() {
        healthyWorker("worker-a");
        EmbeddedQuicStream tokens = clientStream();
        tokens.unsafe().outboundBuffer().setUserDefinedWritability(1, false); // the client reads nothing of it
        try (CapturedLogs logs = CapturedLogs.of(Relay.class)) {
            for (int i = 0; i < 20; i++) {
                relay.open(clientStream(), "conn-1",
                        GenerationRequest.completion("g-" + i, "p", 3).withTokenStream(true), tokens);
                loop.runPendingTasks();
            }
            assertThat(logs.events().stream().filter(event -> event.getLevel().isGreaterOrEqual(Level.INFO))
                    .map(ILoggingEvent::getFormattedMessage)
                    .filter(line -> line.contains("client token stream full")).toList())
                    .as("INFO lines for 20 generations of one connection whose client token stream is full")
                    .hasSizeLessThanOrEqualTo(1);
        }
    }

    /**
     * A client that stopped reading its client token stream: its generations there ended (here with their END; a
     * TOO_SLOW reset ends them the same way) and what was queued on the stream stayed, with nothing to reset the
     * stream itself, for as long as the connection lived. A client token stream with no generation on it that took
     * nothing for CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT was reset TOO_SLOW now (ClientTokenStreamHandler then closes
     * the connection). Found by the review helper.
     */
    @Test
    void aClientTokenStreamLeftUnreadWithNoGenerationOnItIsResetTooSlowAfterTheSlowClientTimeout() {
        healthyWorker("worker-a");
        EmbeddedQuicStream tokens = clientStream();
        tokens.freezeTime();
        tokens.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                // the tagged frames' writes, failed by the reset: ClientTokenStreamHandler's, not this test's
            }
        });
        relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-1", "p", 2).withTokenStream(true),
                tokens);
        EmbeddedQuicStream worker = workerStream("worker-a", 0);
        fromWorker(worker, new Token(1, "a"));
        tokens.withholdCredit(); // the client reads nothing of it from here on
        tokens.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        fromWorker(worker, new Token(2, " b"));
        fromWorker(worker, new End("g-1", 2, FinishReason.STOP, null));

        passOnClient(tokens, QuicStreams.DEFAULT_LINGER.plusSeconds(5));
        assertThat(tokens.resetCode()).as("a client as slow as allowed is not reset yet").isEqualTo(-1);
        passOnClient(tokens, LimitProperties.DEFAULTS.slowClientTimeout());

        assertThat(tokens.resetCode()).as("reset, with").isEqualTo(ErrorCode.TOO_SLOW.code());
        assertThat(tokens.isActive()).isFalse();
    }

    /**
     * A client that reads nothing of generation after generation (a tiny flow-control window, never read) has each one
     * reset TOO_SLOW by the session watch, and RelaySession logged "client stopped reading; resetting its stream" at
     * WARN once per stream: up to CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION (1000) lines per connection every
     * slow-client timeout, again and again as the resets gave the streams back. The same client behaviour at a
     * generation's last write (LastWriteBound) or on its token stream was one line per connection, then a count; now
     * this is too: one WARN per connection, repeats DEBUG with the counting reminder, every stream still reset and
     * counted in limit_hits_total{limit="slow_client"}. Found by the review helper.
     */
    @Test
    void aConnectionThatStopsReadingGenerationAfterGenerationGetsOneWarnNotOnePerStream() {
        LimitProperties defaults = LimitProperties.DEFAULTS;
        LimitProperties impatient = new LimitProperties(defaults.maxStreamsPerConnection(),
                defaults.maxClientConnections(), null, defaults.firstFrameTimeout(), defaults.maxTokens(),
                defaults.maxSessionDuration(), defaults.maxRequestBytes(), Duration.ofMillis(50),
                defaults.addressValidation(), null);
        Relay watched = relayWith(impatient);
        healthyWorker("worker-a");
        watched.start();
        try (CapturedLogs logs = CapturedLogs.of(io.connectionswap.director.relay.RelaySession.class)) {
            for (int i = 0; i < 20; i++) {
                EmbeddedQuicStream client = clientStream();
                client.unsafe().outboundBuffer().setUserDefinedWritability(1, false); // the client reads nothing
                client.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        // the queued writes, failed by the reset: ClientStreamHandler's, not this test's
                    }
                });
                watched.open(client, "conn-1", GenerationRequest.completion("g-" + i, "p", 3));
                fromWorker(workerStream("worker-a", i), new Token(1, "a"));
            }
            await("every generation of the client that reads nothing is reset TOO_SLOW").atMost(Duration.ofSeconds(10))
                    .pollInSameThread().until(() -> {
                        loop.runScheduledPendingTasks();
                        return watched.activeSessions() == 0;
                    });

            assertThat(warnings(logs, "client stopped reading; resetting its stream"))
                    .as("WARN lines for 20 generations of one client connection reset TOO_SLOW").hasSize(1);
        } finally {
            watched.stop();
        }
        assertThat(meterRegistry.get("connection.swap.limit.hits").tag("limit", "slow_client").counter().count())
                .isEqualTo(20);
    }
}
