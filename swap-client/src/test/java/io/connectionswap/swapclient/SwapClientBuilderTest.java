package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.tls.TlsConfigurationException;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/** A wrong setting given to the builder is named as the application wrote it, not as a service's variable. */
class SwapClientBuilderTest {

    @Test
    void aDirectorAddressWithoutAPortNamesTheBuilderMethod() {
        assertThatThrownBy(() -> SwapClient.builder().directors("127.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("SwapClient.Builder.directors=127.0.0.1 is not host:port");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "127.0.0.1:0           | SwapClient.Builder.directors=127.0.0.1:0 has an invalid port: 0 (expected: 1-65535)",
        "127.0.0.1:-1          | SwapClient.Builder.directors=127.0.0.1:-1 has an invalid port: -1 (expected: 1-65535)",
        "127.0.0.1:65536       | SwapClient.Builder.directors=127.0.0.1:65536 has an invalid port: 65536 (expected: 1-65535)",
        "127.0.0.1:x           | SwapClient.Builder.directors=127.0.0.1:x has an invalid port: x (expected: 1-65535)",
        "a:61000,b:0           | SwapClient.Builder.directors=b:0 has an invalid port: 0 (expected: 1-65535)",
        "[]:61000              | SwapClient.Builder.directors=[]:61000 has an empty host (expected host:port, e.g. 127.0.0.1:61000)",
        "' :61000'             | SwapClient.Builder.directors=:61000 is not host:port (e.g. 127.0.0.1:61000)"})
    void aDirectorAddressThatCannotBeDialledIsRefusedSayingWhatWasExpected(String directors, String message) {
        assertThatThrownBy(() -> SwapClient.builder().directors(directors))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void aDirectorAddressGivenAsAHostPortWithPortZeroIsRefusedToo() {
        assertThatThrownBy(() -> SwapClient.builder().directors(List.of(new HostPort("127.0.0.1", 0))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SwapClient.Builder.directors=127.0.0.1:0 has an invalid port: 0 (expected: 1-65535)");
    }

    /**
     * README: "The builder refuses a setting that cannot work when it is given, with an IllegalArgumentException that
     * says what was expected". A group that is not a NIO (or, on Linux, epoll) I/O group cannot carry the QUIC
     * connection: it was taken, and the client then redialled for ever, each attempt logged as "cannot reach director
     * (is it running?)" ("incompatible event loop type"), every generation failing NO_HEALTHY_WORKER after its wait.
     */
    @Test
    void anEventLoopGroupThatCannotCarryTheConnectionIsRefusedWhenGiven() {
        DefaultEventLoopGroup notIo = new DefaultEventLoopGroup(1);
        try {
            Throwable refused = catchThrowable(() -> SwapClient.builder().eventLoopGroup(notIo));
            assertThat(refused).as("a DefaultEventLoopGroup (no I/O) refused by the builder, naming the setting "
                            + "(null: taken, to fail at every connection attempt)")
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eventLoopGroup")
                    .hasMessageContaining(DefaultEventLoopGroup.class.getName())
                    .hasMessageContaining("(expected: a NIO I/O group");
        } finally {
            notIo.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void aNioEventLoopGroupIsTaken() {
        EventLoopGroup nio = QuicEventLoops.create("test-builder", 1);
        try {
            assertThat(catchThrowable(() -> SwapClient.builder().eventLoopGroup(nio))).isNull();
            assertThat(catchThrowable(() -> SwapClient.builder().eventLoopGroup(null))).as("null: the client's own")
                    .isNull();
        } finally {
            nio.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void aCertificateDirectoryThatIsNotThereNamesTheBuilderMethod(@TempDir Path somewhere) {
        String missing = somewhere.resolve("nope").toString();
        assertThatThrownBy(() -> SwapClient.builder().certificates(missing))
                .isInstanceOf(TlsConfigurationException.class)
                .hasMessageStartingWith("SwapClient.Builder.certificates=" + missing + " is not a directory");
    }
}
