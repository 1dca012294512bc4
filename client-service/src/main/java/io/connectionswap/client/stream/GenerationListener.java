package io.connectionswap.client.stream;

/** Hook for code embedding the client (and for tests): sees every completed generation. */
public interface GenerationListener {

    void generationCompleted(GenerationResult result);
}
