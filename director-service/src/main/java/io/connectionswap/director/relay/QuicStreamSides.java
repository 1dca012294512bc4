package io.connectionswap.director.relay;

import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.quic.QuicStreamChannel;

/** {@link ClientSide} and {@link WorkerSide} over QUIC streams. */
final class QuicStreamSides {

    private QuicStreamSides() {
    }

    static ClientSide client(QuicStreamChannel stream) {
        return new ClientSide() {
            @Override
            public boolean isActive() {
                return stream.isActive();
            }

            @Override
            public boolean isWritable() {
                return stream.isWritable();
            }

            @Override
            public void relay(ByteBuf frame) {
                stream.write(frame, stream.voidPromise());
            }

            @Override
            public void flush() {
                stream.flush();
            }

            @Override
            public void retry(Retry retry) {
                stream.writeAndFlush(retry).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
            }

            @Override
            public void finish() {
                stream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
            }
        };
    }

    static WorkerSide worker(QuicStreamChannel stream) {
        return new WorkerSide() {
            @Override
            public void assign(WorkerAssignment assignment) {
                stream.writeAndFlush(assignment);
            }

            @Override
            public void cancel() {
                // FIN, not a reset: the worker stops and answers with its own FIN, and only a stream that saw both
                // FINs is released by Netty's QUIC connection (a reset one would stay until the link closes)
                stream.shutdownOutput();
            }

            @Override
            public void close() {
                stream.close();
            }

            @Override
            public void read(boolean enabled) {
                stream.config().setAutoRead(enabled);
            }

            @Override
            public boolean connectionActive() {
                return stream.parent().isActive();
            }
        };
    }
}
