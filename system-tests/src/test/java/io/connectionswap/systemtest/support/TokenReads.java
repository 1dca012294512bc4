package io.connectionswap.systemtest.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.Token;
import java.time.Duration;

/** Reads a raw generation's frames and checks each token is the next in sequence: the tests of many streams at once. */
public final class TokenReads {

    private TokenReads() {
    }

    /**
     * Reads {@code count} tokens after {@code after}, each the next in sequence (a CONNECTED before the first token is
     * skipped); returns the last one's sequence.
     */
    public static int tokens(RawQuicClient.Stream stream, int after, int count, int index) throws Exception {
        int last = after;
        while (last < after + count) {
            Message message = stream.next(10);
            assertThat(message).as("stream %d after token %d", index, last).isNotNull();
            if (message instanceof Connected) {
                assertThat(last).as("stream %d: CONNECTED before any token", index).isZero();
                continue;
            }
            assertThat(message).as("stream %d after token %d", index, last).isInstanceOf(Token.class);
            assertThat(((Token) message).sequence()).as("stream %d", index).isEqualTo(last + 1);
            last++;
        }
        return last;
    }

    /** Reads tokens, each the next in sequence ({@code lastSeen[index]} follows), until a RETRY, which it returns. */
    public static Retry untilRetry(RawQuicClient.Stream stream, int[] lastSeen, int index, Duration deadline)
            throws Exception {
        while (true) {
            Message message = stream.next(deadline.toSeconds());
            assertThat(message).as("stream %d after token %d", index, lastSeen[index]).isNotNull();
            if (message instanceof Retry retry) {
                return retry;
            }
            assertThat(message).as("stream %d", index).isInstanceOf(Token.class);
            assertThat(((Token) message).sequence()).as("stream %d", index).isEqualTo(lastSeen[index] + 1);
            lastSeen[index]++;
        }
    }
}
