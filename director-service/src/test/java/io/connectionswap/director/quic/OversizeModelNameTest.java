package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.quic.QuicChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client's GENERATE whose model name the protocol refuses (longer than it allows, or one no worker can register),
 * through the director's own stream pipeline (frame decoder with the default 4 MiB request limit, codec, heartbeat
 * responder, {@link FirstMessageRouter}) and a real {@link Relay} and {@link WorkerRegistry} (no worker registered).
 */
class OversizeModelNameTest {

    private static final DirectorProperties PROPERTIES = TestDirectorProperties.defaults();
    private static final HealthProperties HEALTH = new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4);
    /** A megabyte of model name: well within the request limit. */
    private static final String HUGE_MODEL = "m".repeat(1 << 20);

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final DefaultEventLoopGroup meterLoops = new DefaultEventLoopGroup(1);
    private final DirectorMeters meters = new DirectorMeters(new SimpleMeterRegistry(), meterLoops);
    private final WorkerRegistry registry = new WorkerRegistry(loop.eventLoop(), Runnable::run,
            (worker, remote, onLost) -> loop.eventLoop().newFailedFuture(new IllegalStateException("no workers here")),
            PROPERTIES, HEALTH, meters);
    private final Relay relay = new Relay(registry, PROPERTIES, LimitProperties.DEFAULTS, FrameLimits.DEFAULTS, meters);
    private final List<EmbeddedQuicStream> streams = new ArrayList<>();

    @AfterEach
    void release() {
        streams.forEach(EmbeddedChannel::finishAndReleaseAll);
        loop.finishAndReleaseAll();
        meterLoops.shutdownGracefully();
    }

    /**
     * A GENERATE naming a model of a megabyte was taken as any other: with no worker registered it was refused
     * NO_HEALTHY_WORKER ("retry later", so its client sent it again) and its "no healthy worker for stream" line
     * carried the whole megabyte in {@code model=}; with workers, the model name keyed the connection's refusals. Now
     * such a stream ends with MALFORMED_MESSAGE before the relay sees it, with one WARN per connection for two such
     * streams and no line longer than a few hundred characters, while a later stream of the same connection is
     * served by the relay as before.
     */
    @Test
    void aGenerateWithAModelNameOverTheBoundEndsItsStreamAndTheConnectionServesOn() {
        QuicChannel connection = PeerConnections.connection("client");
        List<ILoggingEvent> events = new ArrayList<>();
        List<ErrorCode> first;
        List<ErrorCode> second;
        List<ErrorCode> valid;
        try (CapturedLogs routerLogs = CapturedLogs.of(FirstMessageRouter.class);
             CapturedLogs relayLogs = CapturedLogs.of(Relay.class)) {
            first = generate(connection, 4, HUGE_MODEL);
            second = generate(connection, 8, HUGE_MODEL);
            valid = generate(connection, 12, "stand-in");
            events.addAll(routerLogs.events());
            events.addAll(relayLogs.events());
        }

        assertThat(first).as("ERROR of the first stream with the huge model").containsExactly(
                ErrorCode.MALFORMED_MESSAGE);
        assertThat(second).as("ERROR of the second").containsExactly(ErrorCode.MALFORMED_MESSAGE);
        assertThat(valid).as("ERROR of a valid stream after them (no worker registered: the relay's refusal)")
                .containsExactly(ErrorCode.NO_HEALTHY_WORKER);
        assertThat(streams.get(0).isOutputShutdown()).as("the bad stream ended").isTrue();
        assertThat(connection.isActive()).as("the connection").isTrue();
        assertThat(events).filteredOn(event -> event.getLevel() == Level.WARN)
                .filteredOn(event -> event.getLoggerName().equals(FirstMessageRouter.class.getName()))
                .as("WARN lines for two bad streams of one connection").hasSize(1);
        assertThat(events).extracting(ILoggingEvent::getFormattedMessage)
                .allSatisfy(line -> assertThat(line.length()).as("a line's length").isLessThan(2000));
        assertThat(relay.activeSessions()).isZero();
    }

    /**
     * A GENERATE naming a model no worker can register (with a line break, an ESC sequence, a NUL; blank or empty) was
     * routed as any other: with no worker registered it was refused NO_HEALTHY_WORKER (its client asked again), with
     * workers MODEL_NOT_FOUND quoting the name. Now it ends its stream with MALFORMED_MESSAGE as an over-long name
     * does, the connection's bad-input WARN throttled as for any bad stream, and a later stream is served as before.
     */
    @Test
    void aGenerateWithAModelNameNoWorkerCanRegisterEndsItsStreamAndTheConnectionServesOn() {
        QuicChannel connection = PeerConnections.connection("client");
        List<ErrorCode> bad = new ArrayList<>();
        List<ErrorCode> valid;
        List<ILoggingEvent> routerEvents;
        try (CapturedLogs routerLogs = CapturedLogs.of(FirstMessageRouter.class)) {
            // as JSON string contents
            for (String model : List.of("stand-in\\nforged=line", "\\u001b[2J", "stand-in\\u0000", "   ", "")) {
                bad.addAll(generate(connection, 4L * (streams.size() + 1), model));
            }
            valid = generate(connection, 4L * (streams.size() + 1), "stand-in");
            routerEvents = routerLogs.events();
        }

        assertThat(bad).as("ERROR of each stream with a model no worker can register")
                .containsExactly(ErrorCode.MALFORMED_MESSAGE, ErrorCode.MALFORMED_MESSAGE, ErrorCode.MALFORMED_MESSAGE,
                        ErrorCode.MALFORMED_MESSAGE, ErrorCode.MALFORMED_MESSAGE);
        assertThat(valid).as("ERROR of a valid stream after them (no worker registered: the relay's refusal)")
                .containsExactly(ErrorCode.NO_HEALTHY_WORKER);
        assertThat(streams.subList(0, 5)).as("the bad streams ended").allMatch(EmbeddedQuicStream::isOutputShutdown);
        assertThat(connection.isActive()).as("the connection").isTrue();
        assertThat(routerEvents).filteredOn(event -> event.getLevel() == Level.WARN)
                .as("WARN lines for five bad streams of one connection").hasSize(1);
        assertThat(relay.activeSessions()).isZero();
    }

    /**
     * A new client stream of {@code connection} whose GENERATE names {@code model}; returns the codes of the ERROR
     * frames the director sent on it.
     */
    private List<ErrorCode> generate(QuicChannel connection, long id, String model) {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(connection, id, UnpooledByteBufAllocator.DEFAULT);
        streams.add(stream);
        DirectorStreamPipeline.install(stream, FrameLimits.DEFAULTS, relay, registry, PROPERTIES.id(), meters);
        stream.writeInbound(generateFrame(model));
        loop.runPendingTasks();
        stream.runPendingTasks();
        return stream.errorCodesSent();
    }

    /** The frame as any client could send it (the library refuses to build such a request). */
    private static ByteBuf generateFrame(String model) {
        byte[] json = ("{\"generationId\":\"g-1\",\"model\":\"" + model + "\",\"prompt\":\"p\","
                + "\"sampling\":{\"maxTokens\":3},\"resumeAfter\":0,\"migrations\":0}").getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(json.length).writeBytes(json);
    }
}
