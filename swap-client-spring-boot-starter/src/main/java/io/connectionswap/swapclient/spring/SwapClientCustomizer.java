package io.connectionswap.swapclient.spring;

import io.connectionswap.swapclient.SwapClient;

/** Adjusts the auto-configured client's builder after the properties were applied (event loops, QUIC limits). */
@FunctionalInterface
public interface SwapClientCustomizer {

    void customize(SwapClient.Builder builder);
}
