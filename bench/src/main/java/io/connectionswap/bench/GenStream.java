package io.connectionswap.bench;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.ReferenceCountUtil;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One generation of the bench client. Through the director it sends GENERATE and, on RETRY, resumes after the
 * last sequence it received: on a new stream of the same connection (what the real client does), or on a new
 * connection (the reconnect baseline). Directly to a worker it sends the ASSIGNMENT the director would. Every
 * token's sequence is checked; a timestamped token's latency goes to the sink. Touched by one event loop at a
 * time (the one of its current stream); the phase thread reads the volatile fields.
 */
final class GenStream {

    enum Target { DIRECTOR, WORKER }

    /** Long enough for any phase (50 min at 50 ms), within the director's default limit (CONNECTION_SWAP_MAX_TOKENS_LIMIT, 65536). */
    private static final int MAX_TOKENS = 60_000;
    private static final java.util.concurrent.atomic.AtomicInteger EXCEPTIONS_LOGGED = new java.util.concurrent.atomic.AtomicInteger();

    final int index;
    final String generationId = UUID.randomUUID().toString();
    final String prompt;
    private final Target target;
    private final StreamSink sink;
    private final QuicClients clients;
    private final int directorPort;
    private volatile QuicClients.Conn conn;
    private volatile boolean sameConnection = true;
    private volatile QuicStreamChannel stream;
    private volatile String avoidWorker;
    volatile String worker;
    volatile int lastSeq;
    volatile long lastTokenNanos;
    volatile long tokensReceived;
    volatile boolean cancelled;
    volatile int swaps;
    // the swap in progress (loop-confined between RETRY and the next token)
    private boolean awaitingFirst;
    private long retryNanos;
    private long lastBeforeNanos;
    private String retryReason;
    private String failedWorker;
    private boolean resumedOnSameConnection;
    /**
     * The text received so far, sent with a resume (loop-confined); null when not kept: the bench's timestamp model
     * does not check it (its tokens are clock readings), the stand-in of the worker processes does.
     */
    private StringBuilder delivered;
    /** Pause before reopening after a refusal or a broken stream: 50 ms doubling to 1 s, reset by a token. */
    private long backoffMillis = 50;

    GenStream(int index, Target target, QuicClients.Conn conn, StreamSink sink, QuicClients clients, int directorPort) {
        this.index = index;
        this.target = target;
        this.conn = conn;
        this.sink = sink;
        this.clients = clients;
        this.directorPort = directorPort;
        this.prompt = "bench-" + index;
    }

    /** Keep the delivered text and send it with each resume, as a real client does (a stand-in worker checks it). */
    GenStream keepDeliveredText() {
        delivered = new StringBuilder();
        return this;
    }

    /** How a RETRY is answered: true (default) on the same connection, false on a new connection. */
    void resumeOnSameConnection(boolean same) {
        this.sameConnection = same;
    }

    void open() {
        QuicClients.Conn current = conn;
        if (cancelled) {
            return;
        }
        ClientTokens tokens = target == Target.DIRECTOR ? current.tokens : null;
        Handler handler = new Handler(tokens);
        current.channel.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel channel) {
                StreamPipelines.rawFrames(channel, io.connectionswap.protocol.frame.FrameLimits.DEFAULTS, handler);
            }
        }).addListener(opened -> {
            if (!opened.isSuccess()) {
                sink.openFailures.increment();
                reopenLater(current.channel.eventLoop());
                return;
            }
            QuicStreamChannel channel = (QuicStreamChannel) opened.getNow();
            stream = channel;
            if (cancelled) {
                channel.shutdown(ErrorCode.CANCELLED.code()).addListener(done -> channel.close());
                return;
            }
            if (tokens != null) {
                handler.channel = channel;
                tokens.add(channel.streamId(), handler::onFrame); // before GENERATE: its answer may come first
            }
            channel.writeAndFlush(firstMessage(tokens != null));
        });
    }

    /** {@code tokenStream}: ask for the client token stream (the answer then comes on the control stream, tagged). */
    private Message firstMessage(boolean tokenStream) {
        int resumeAfter = lastSeq;
        GenerationRequest request = GenerationRequest.completion(generationId, prompt, MAX_TOKENS);
        if (resumeAfter > 0 || avoidWorker != null) {
            request = request.resumedAfter(resumeAfter, delivered == null ? "" : delivered.toString(), avoidWorker);
        }
        if (target == Target.WORKER) {
            return new WorkerAssignment(index, "bench-direct", request);
        }
        return request.withTokenStream(tokenStream);
    }

    /**
     * Stops the generation: the current stream is reset both ways (RESET_STREAM + STOP_SENDING with CANCELLED, as
     * the director cancels a worker stream), and nothing is reopened. A plain {@code close()} would only send a FIN,
     * which neither the director nor a worker takes as the end of a generation stream.
     */
    void cancel() {
        cancelled = true;
        QuicStreamChannel current = stream;
        if (current != null) {
            current.eventLoop().execute(() -> {
                if (current.isActive()) {
                    current.shutdown(ErrorCode.CANCELLED.code()).addListener(done -> {
                        if (!done.isSuccess() && EXCEPTIONS_LOGGED.incrementAndGet() <= 10) {
                            System.err.println("[bench] generation " + index + " reset failed: " + done.cause());
                        }
                        current.close();
                    });
                }
            });
        }
    }

    private void reopenLater(EventLoop loop) {
        if (!cancelled) {
            long wait = backoffMillis;
            backoffMillis = Math.min(1000, backoffMillis * 2);
            loop.schedule(this::open, wait, TimeUnit.MILLISECONDS);
        }
    }

    private void onToken(RawFrame frame, long now) {
        int seq = frame.tokenSequence();
        if (seq != lastSeq + 1) {
            sink.sequenceErrors.increment();
            if (seq <= lastSeq) {
                return; // duplicate
            }
        }
        if (sink.timestamps) {
            long emitted = TimestampTokenModel.emittedNanos(frame.content());
            if (emitted > 0) {
                sink.latency(now - emitted);
            }
        }
        if (awaitingFirst) {
            awaitingFirst = false;
            if (lastBeforeNanos != 0) {
                sink.swaps.add(new SwapSample(index, retryReason, failedWorker, worker, resumedOnSameConnection,
                        lastBeforeNanos, retryNanos, now));
            }
        }
        if (delivered != null) {
            delivered.append(((Token) MessageCodec.decode(frame)).text());
        }
        lastSeq = seq;
        lastTokenNanos = now;
        backoffMillis = 50;
        tokensReceived++;
        sink.tokens.increment();
    }

    private void onRetry(Retry retry, long now) {
        swaps++;
        if (retry.lastSequence() != lastSeq) {
            sink.retryMismatch.increment();
        }
        awaitingFirst = true;
        retryNanos = now;
        lastBeforeNanos = lastTokenNanos;
        retryReason = retry.reason();
        failedWorker = retry.failedWorker();
        avoidWorker = retry.failedWorker();
        resumedOnSameConnection = sameConnection;
        if (cancelled) {
            return;
        }
        if (sameConnection) {
            open();
            return;
        }
        clients.directorAsync(directorPort).addListener(connected -> {
            if (!connected.isSuccess()) {
                sink.openFailures.increment();
                reopenLater(conn.channel.eventLoop());
                return;
            }
            QuicClients.Conn fresh = new QuicClients.Conn((QuicChannel) connected.getNow());
            sink.extraConnections.add(fresh);
            conn = fresh;
            open();
        });
    }

    private void onError(StreamError error, EventLoop loop) {
        if (error.code() == ErrorCode.NO_HEALTHY_WORKER) {
            sink.noHealthyWorker.increment();
            reopenLater(loop);
        } else {
            sink.streamErrors.increment();
            reopenLater(loop);
        }
    }

    /**
     * One stream's frames: read from the stream, or (asked for the client token stream) handed over by the
     * connection's {@link ClientTokens}; either way on the connection's loop.
     */
    private final class Handler extends ChannelInboundHandlerAdapter {
        /** Null: the frames come on the stream itself. */
        private final ClientTokens tokens;
        /** The stream, once open (with a token stream). */
        private QuicStreamChannel channel;
        private boolean settled;

        Handler(ClientTokens tokens) {
            this.tokens = tokens;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = (QuicStreamChannel) ctx.channel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof RawFrame frame)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            onFrame(frame);
        }

        /** One frame of this generation (released here). */
        void onFrame(RawFrame frame) {
            try {
                if (settled) {
                    return;
                }
                long now = System.nanoTime();
                switch (frame.type()) {
                    case TOKEN -> onToken(frame, now);
                    case CONNECTED -> worker = ((Connected) MessageCodec.decode(frame)).worker();
                    case HEARTBEAT -> { } // what the director's FIN travels with
                    case END -> {
                        settle();
                        sink.ended.increment();
                    }
                    case RETRY -> {
                        Retry retry = (Retry) MessageCodec.decode(frame);
                        settle();
                        onRetry(retry, now);
                    }
                    case ERROR -> {
                        StreamError error = (StreamError) MessageCodec.decode(frame);
                        settle();
                        onError(error, channel.eventLoop());
                    }
                    default -> {
                        settle();
                        broken(channel.eventLoop());
                    }
                }
            } finally {
                frame.release();
            }
        }

        /**
         * The generation's final frame was read. On the client token stream our FIN tells the director so, and its
         * own FIN follows: {@link QuicStreams#finish} reads until then, so that Netty releases the stream.
         */
        private void settle() {
            settled = true;
            if (tokens != null) {
                tokens.remove(channel.streamId());
                QuicStreams.finish(channel);
            } else {
                channel.close();
            }
        }

        private void broken(EventLoop loop) {
            if (!cancelled) {
                sink.broken.increment();
                reopenLater(loop);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            forget();
            if (!settled) {
                settled = true;
                broken(ctx.channel().eventLoop());
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (EXCEPTIONS_LOGGED.incrementAndGet() <= 10) {
                System.err.println("[bench] generation " + index + " stream exception: " + cause);
            }
            forget();
            if (!settled) {
                settled = true;
                broken(ctx.channel().eventLoop());
            }
            // a reset, not just a FIN: the director keeps relaying to a stream that only half-closed
            if (ctx.channel() instanceof QuicStreamChannel quic && ctx.channel().isActive()) {
                quic.shutdown(ErrorCode.CANCELLED.code()).addListener(done -> ctx.close());
            } else {
                ctx.close();
            }
        }

        /** The stream is gone: tagged frames for it are dropped from now on. */
        private void forget() {
            if (tokens != null && channel != null) {
                tokens.remove(channel.streamId());
            }
        }
    }
}
