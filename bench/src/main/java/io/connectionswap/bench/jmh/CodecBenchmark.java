package io.connectionswap.bench.jmh;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-frame costs of the wire format, as the services pay them:
 * <ul>
 *   <li>{@code tokenEncode}: the worker's per-token path, {@link MessageCodec#encodeToken} into a pooled buffer;</li>
 *   <li>{@code tokenFrameDecode}: {@link FrameDecoder} splitting one token frame off a stream (what the director
 *       does for every relayed token, then reads the sequence in place);</li>
 *   <li>{@code tokenDecodeToRecord}: a token frame into a {@code Token} record (what a client does: one String);</li>
 *   <li>{@code jsonEncodeRetry} / {@code jsonDecodeRetry}, {@code jsonEncodeRequest} / {@code jsonDecodeRequest}:
 *       JSON control frames, paid once per stream or swap, never per token;</li>
 *   <li>{@code modelToken}: the stand-in {@link DeterministicTokenModel} producing one token.</li>
 * </ul>
 * Run {@code java -jar bench/target/benchmarks.jar -prof gc} to see bytes allocated per operation
 * ({@code gc.alloc.rate.norm}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class CodecBenchmark {

    /** What a channel's alloc() is by default in Netty 4.2 (the adaptive allocator). */
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private final DeterministicTokenModel model = new DeterministicTokenModel();
    private final String prompt = "prompt-42";
    /** The shape of a token in a real generation: a word with its leading space. */
    private final String tokenText = " flowing";
    private final Retry retry = new Retry("health", 41, "worker-a", "health poll http 503 DOWN (1 in a row)");
    private final GenerationRequest request =
            GenerationRequest.completion("4b0a4f4e-8f5e-4c55-9d3a-4a3c9c1f0b11", prompt, 100)
                    .resumedAfter(41, new DeterministicTokenModel().text(prompt, 1, 41), "worker-a");

    private ByteBuf tokenFrame;
    private RawFrame tokenRaw;
    private RawFrame retryRaw;
    private RawFrame requestRaw;
    private EmbeddedChannel decoder;
    private int sequence;

    @Setup(Level.Trial)
    public void setUp() {
        tokenFrame = MessageCodec.encodeToken(alloc, 42, tokenText); // refCnt 1 for the trial; each op retains a view
        tokenRaw = new RawFrame(FrameType.TOKEN, tokenFrame.duplicate());
        retryRaw = raw(retry);
        requestRaw = raw(request);
        decoder = new EmbeddedChannel(new FrameDecoder(io.connectionswap.protocol.frame.FrameLimits.DEFAULTS));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        decoder.finishAndReleaseAll();
        tokenFrame.release();
    }

    private static RawFrame raw(Message message) {
        ByteBuf frame = MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, message);
        return new RawFrame(message.frameType(), Unpooled.unreleasableBuffer(frame));
    }

    @Benchmark
    public int tokenEncode() {
        ByteBuf frame = MessageCodec.encodeToken(alloc, ++sequence, tokenText);
        int bytes = frame.readableBytes();
        frame.release();
        return bytes;
    }

    @Benchmark
    public int tokenFrameDecode() {
        decoder.writeInbound(tokenFrame.retainedDuplicate());
        RawFrame frame = decoder.readInbound();
        int seq = frame.tokenSequence();
        frame.release();
        return seq;
    }

    @Benchmark
    public Object tokenDecodeToRecord() {
        return MessageCodec.decode(tokenRaw);
    }

    @Benchmark
    public int jsonEncodeRetry() {
        ByteBuf frame = MessageCodec.encode(alloc, retry);
        int bytes = frame.readableBytes();
        frame.release();
        return bytes;
    }

    @Benchmark
    public Object jsonDecodeRetry() {
        return MessageCodec.decode(retryRaw);
    }

    @Benchmark
    public int jsonEncodeRequest() {
        ByteBuf frame = MessageCodec.encode(alloc, request);
        int bytes = frame.readableBytes();
        frame.release();
        return bytes;
    }

    @Benchmark
    public Object jsonDecodeRequest() {
        return MessageCodec.decode(requestRaw);
    }

    @Benchmark
    public String modelToken() {
        return model.token(prompt, (++sequence & 0xffff) + 1);
    }
}
