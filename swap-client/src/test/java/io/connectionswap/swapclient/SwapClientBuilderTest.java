package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.tls.TlsConfigurationException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A wrong setting given to the builder is named as the application wrote it, not as a service's variable. */
class SwapClientBuilderTest {

    @Test
    void aDirectorAddressWithoutAPortNamesTheBuilderMethod() {
        assertThatThrownBy(() -> SwapClient.builder().directors("127.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("SwapClient.Builder.directors=127.0.0.1 is not host:port");
    }

    @Test
    void aCertificateDirectoryThatIsNotThereNamesTheBuilderMethod(@TempDir Path somewhere) {
        String missing = somewhere.resolve("nope").toString();
        assertThatThrownBy(() -> SwapClient.builder().certificates(missing))
                .isInstanceOf(TlsConfigurationException.class)
                .hasMessageStartingWith("SwapClient.Builder.certificates=" + missing + " is not a directory");
    }
}
