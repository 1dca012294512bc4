package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * {@link HostPort#parse} split at the last colon and took whatever stood before it as the host, so values that can
 * never be dialled passed binding: a URL kept its scheme in the host, and an IPv6 address without brackets lost its
 * last group to the port. The worker and the client then retried a name that cannot resolve forever instead of
 * stopping at start naming the variable (README "Configuration").
 */
class HostPortMalformedHostTest {

    @Test
    void aUrlIsNotHostPort() {
        assertThatThrownBy(() -> HostPort.parse("CONNECTION_SWAP_DIRECTOR_TARGET", "https://director:61000"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_DIRECTOR_TARGET");
    }

    @Test
    void anIpv6AddressWithoutBracketsIsNotReadAsHostFd00ColonAndPort5() {
        // fd00::5 is an address without a port; it was parsed as host "fd00:" (no IPv6 literal) and port 5. An
        // unbracketed literal with a port (Kubernetes' $(POD_IP):62001, DefaultHealthUrlTest) stays valid: a host
        // with a colon must be an IPv6 literal
        assertThatThrownBy(() -> HostPort.parse("CONNECTION_SWAP_WORKER_ADVERTISE", "fd00::5"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_WORKER_ADVERTISE");
    }
}
