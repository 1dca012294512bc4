package io.connectionswap.protocol.tls;

/** Certificates or keys cannot be found or read; the message says which file and why. */
public final class TlsConfigurationException extends RuntimeException {

    public TlsConfigurationException(String message) {
        super(message);
    }

    public TlsConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
