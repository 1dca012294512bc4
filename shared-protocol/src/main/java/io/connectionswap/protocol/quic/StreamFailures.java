package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.message.StreamError;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.quic.QuicStreamChannel;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Ends one stream because of bad input or a local failure: a WARN line naming the peer and the problem, an ERROR
 * frame with the code, then our FIN ({@link QuicStreams#finish}: the stream is released once the peer has read both
 * and finished its side, or reset after the linger time). The connection and every other stream are untouched.
 */
public final class StreamFailures {

    private static final RepeatedProblems.Occurrence FIRST_WARN = new RepeatedProblems.Occurrence(true, 0, Level.WARN);

    private StreamFailures() {
    }

    public static ErrorCode codeOf(Throwable cause) {
        Throwable current = cause;
        while (current != null) {
            if (current instanceof ProtocolException protocol) {
                return protocol.errorCode();
            }
            current = current.getCause();
        }
        return ErrorCode.INTERNAL;
    }

    public static String describe(Throwable cause) {
        Throwable current = cause;
        while (current != null) {
            if (current instanceof ProtocolException) {
                return current.getMessage();
            }
            current = current.getCause();
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    /** Logs and ends {@code stream} with an ERROR frame for {@code cause}. */
    public static void endStream(Channel stream, Logger log, String role, Throwable cause) {
        endStream(stream, log, role, cause, FIRST_WARN);
    }

    /**
     * {@link #endStream(Channel, Logger, String, Throwable)} for a problem that can repeat (a peer sending bad
     * streams in a loop): the line at the level {@code occurrence} says, with its count of repeats.
     */
    public static void endStream(Channel stream, Logger log, String role, Throwable cause,
                                 RepeatedProblems.Occurrence occurrence) {
        ErrorCode code = codeOf(cause);
        String problem = describe(cause);
        occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("peer", Peers.address(stream))
                .field("peer.cert", Peers.certificateName(stream)).field("stream.id", QuicStreams.logId(stream))
                .field("error", code).quoted("problem", problem)).log("{} ended stream after bad input", role);
        // our FIN queued behind the ERROR at once, not once it is written: the linger then bounds its delivery too,
        // and a peer that sent bad input and reads nothing (its window full, the write pending for good) is reset and
        // released
        end(stream, new StreamError(code, problem), true);
    }

    /**
     * Sends {@code error} (when the stream can still be written), then ends our side of the stream once it is written:
     * a peer that is only slow (a subscriber behind its tokens) still gets every frame before it, and the ERROR.
     */
    public static void endStream(Channel stream, StreamError error) {
        end(stream, error, false);
    }

    private static void end(Channel stream, StreamError error, boolean finishNow) {
        QuicStreams.discardInput(stream); // at once: frames already received are not acted on either
        if (!(stream instanceof QuicStreamChannel quic)) {
            stream.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (!quic.isActive() || quic.isOutputShutdown()) {
            QuicStreams.finish(quic);
            return;
        }
        if (finishNow) {
            quic.writeAndFlush(error);
            QuicStreams.finish(quic);
        } else {
            quic.writeAndFlush(error).addListener(written -> QuicStreams.finish(quic));
        }
    }
}
