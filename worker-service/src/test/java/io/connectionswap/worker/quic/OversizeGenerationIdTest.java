package io.connectionswap.worker.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.worker.config.WorkerProperties;
import io.connectionswap.worker.health.FailureSimulation;
import io.connectionswap.worker.metrics.WorkerMeters;
import io.connectionswap.worker.model.StandInBackend;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/**
 * {@code generationId} is the client's, and the worker echoes it in CONNECTED and END, which must stay within the
 * 64 KiB frame limit the director reads them with: a CONNECTED of 70 KB was FRAME_TOO_LARGE at the director, and on a
 * token stream (TAGGED) that closed the director's whole link to this worker, moving every generation on it, and the
 * resumed generation did the same to the next worker. An id over {@code GenerationRequest.MAX_GENERATION_ID_CHARS}
 * ends its own stream with MALFORMED_MESSAGE instead.
 */
class OversizeGenerationIdTest {

    private final EventLoopGroup loops = new DefaultEventLoopGroup(1);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @AfterEach
    void stop() {
        loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Test
    void everyFrameTheWorkerWritesFitsTheDirectorsFrameLimitEvenWithAHugeGenerationId() {
        ActiveStreams active = new ActiveStreams();
        EmbeddedChannel stream = stream(active);
        String hugeId = "g".repeat(70_000); // far below the 4 MiB request limit
        stream.writeInbound(assignmentWithId(hugeId));
        List<int[]> frames = new ArrayList<>(); // {type, payload length} of each frame written
        ByteBuf written = Unpooled.buffer();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
            stream.runPendingTasks();
            for (ByteBuf out = stream.readOutbound(); out != null; out = stream.readOutbound()) {
                written.writeBytes(out);
                out.release();
            }
            return active.count() == 0;
        });
        while (written.readableBytes() >= Frames.HEADER_BYTES) {
            int type = written.readUnsignedByte();
            int length = (int) written.readUnsignedInt();
            frames.add(new int[] {type, length});
            written.skipBytes(Math.min(length, written.readableBytes()));
        }
        written.release();
        stream.finishAndReleaseAll();

        assertThat(frames).as("the worker's answer: one ERROR frame (MALFORMED_MESSAGE)")
                .extracting(frame -> frame[0]).containsExactly(FrameType.ERROR.code());
        for (int[] frame : frames) {
            assertThat(frame[1])
                    .as("payload of the %s frame the worker wrote (the director refuses any over %d bytes: "
                            + "FRAME_TOO_LARGE, and on a token stream it closes the link)",
                            FrameType.values()[indexOf(frame[0])], Frames.DEFAULT_MAX_PAYLOAD_BYTES)
                    .isLessThanOrEqualTo(Frames.DEFAULT_MAX_PAYLOAD_BYTES);
        }
    }

    /** An ASSIGNMENT as a peer may send it, whatever its generation id: the record refuses ids that long. */
    private static ByteBuf assignmentWithId(String id) {
        String placeholder = "generation-id-placeholder";
        ByteBuf frame = MessageCodec.encode(ByteBufAllocator.DEFAULT, new WorkerAssignment(49, "conn-1",
                GenerationRequest.completion(placeholder, "a prompt", 2)));
        int type = frame.readUnsignedByte();
        frame.skipBytes(4);
        byte[] payload = frame.toString(StandardCharsets.UTF_8).replace(placeholder, id)
                .getBytes(StandardCharsets.UTF_8);
        frame.release();
        return Unpooled.buffer().writeByte(type).writeInt(payload.length).writeBytes(payload);
    }

    private static int indexOf(int code) {
        FrameType[] types = FrameType.values();
        for (int i = 0; i < types.length; i++) {
            if (types[i].code() == code) {
                return i;
            }
        }
        throw new AssertionError("unknown frame type " + code);
    }

    private EmbeddedChannel stream(ActiveStreams active) {
        WorkerProperties properties = new WorkerProperties("127.0.0.1:0", null, null, "worker-t", Duration.ofMillis(5),
                null, Duration.ofSeconds(10), "127.0.0.1:61000", false, Duration.ofSeconds(10), Duration.ofSeconds(20),
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMillis(3500), 1, DataSize.ofMegabytes(4));
        WorkerStreamContext context = new WorkerStreamContext(properties,
                StandInBackend.create(Duration.ofMillis(1), loops),
                new WorkerMeters(registry, active, loops, new QuicConnections()), active,
                new FailureSimulation(properties), (io.connectionswap.worker.tracing.WorkerTracing) null);
        EmbeddedChannel channel = new EmbeddedChannel();
        StreamPipelines.messages(channel, FrameLimits.DEFAULTS, Heartbeats.responder());
        channel.pipeline().addLast(new GenerationStreamHandler(context));
        return channel;
    }
}
