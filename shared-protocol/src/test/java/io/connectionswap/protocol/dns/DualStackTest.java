package io.connectionswap.protocol.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One address per pod of a dual-stack answer, whatever the families in it. */
class DualStackTest {

    @Test
    void aDualStackAnswerKeepsItsIpv4AddressesInOrder() throws Exception {
        assertThat(DualStack.oneFamily(List.of(ip("10.244.2.7"), ip("fd00:10:244:1::5"), ip("10.244.1.5"))))
                .containsExactly(ip("10.244.2.7"), ip("10.244.1.5"));
    }

    @Test
    void anIpv6OnlyAnswerIsKeptWhole() throws Exception {
        assertThat(DualStack.oneFamily(List.of(ip("fd00:10:244:1::5"), ip("fd00:10:244:2::7"))))
                .containsExactly(ip("fd00:10:244:1::5"), ip("fd00:10:244:2::7"));
        assertThat(DualStack.oneFamily(List.of())).isEmpty();
    }

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal);
    }
}
