package io.connectionswap.protocol.tls;

import java.util.Locale;
import java.util.Set;

/**
 * What a QUIC server asks of its clients' certificates. Every certificate a client presents must chain to a trusted
 * CA; this says whether one is required and whose (certificate CN) it may be.
 *
 * @param required     a client without a valid certificate is refused in the handshake
 * @param allowedNames when non-empty, only a certificate whose subject CN is one of these is accepted (needs
 *                     {@code required})
 */
public record ClientCertificates(boolean required, Set<String> allowedNames) {

    public ClientCertificates {
        allowedNames = Set.copyOf(allowedNames);
        if (!allowedNames.isEmpty() && !required) {
            throw new IllegalArgumentException("allowedNames: " + allowedNames + " (expected: only with required)");
        }
    }

    /** The director towards clients: any client of the CA; a certificate is optional or required. */
    public static ClientCertificates anyOfTheCa(boolean required) {
        return new ClientCertificates(required, Set.of());
    }

    /** A worker: only the director's certificate (mutual TLS). */
    public static ClientCertificates only(String... names) {
        return new ClientCertificates(true, Set.of(names));
    }

    /**
     * {@code CONNECTION_SWAP_CLIENT_AUTH}: {@code optional} (the default) or {@code required}.
     *
     * @throws TlsConfigurationException for any other value
     */
    public static boolean requiredBySetting(String setting) {
        String value = setting == null ? "" : setting.strip().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "", "optional" -> false;
            case "required" -> true;
            default -> throw new TlsConfigurationException("CONNECTION_SWAP_CLIENT_AUTH=" + setting
                    + " (expected: optional or required)");
        };
    }

    /** {@code required}, {@code optional} or {@code required CN in [director]}, for logs and health. */
    public String describe() {
        return !required ? "optional" : allowedNames.isEmpty() ? "required" : "required CN in " + allowedNames;
    }
}
