package io.connectionswap.director.quic;

import io.connectionswap.protocol.quic.ConnectionProblems;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.channel.Channel;
import org.slf4j.Logger;

/**
 * Ends a stream after bad input ({@link StreamFailures}) with one WARN per problem (error code) per connection, its
 * repeats at DEBUG with a WARN reminder counting them ({@link ConnectionProblems}): a peer that opens stream after
 * stream with the same bad input would otherwise write a WARN per stream as fast as it opens them.
 */
final class BadStreams {

    private BadStreams() {
    }

    /** Logs (as above) and ends {@code stream} with an ERROR frame for {@code cause}. */
    static void end(Channel stream, Logger log, Throwable cause) {
        StreamFailures.endStream(stream, log, "director", cause,
                ConnectionProblems.occurred(stream, log, StreamFailures.codeOf(cause)));
    }
}
