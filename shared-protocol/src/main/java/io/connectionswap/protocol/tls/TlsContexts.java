package io.connectionswap.protocol.tls;

import io.connectionswap.protocol.log.LogLine;
import io.netty.handler.codec.quic.QuicSslContext;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The QUIC TLS contexts of one role (its server context, when it serves, and its client context), built from its
 * current {@link TlsMaterial}. Certificates rotate without a restart: {@link #reload} builds new contexts and
 * replaces the current ones; a codec takes the current context for every new connection (see
 * {@code QuicCodecs}), while open connections keep the context they were made with. A reload that fails keeps the
 * current contexts.
 *
 * <p>Says at creation when the role runs on the development CA of {@code certs/generate.sh} (a WARN line).
 */
public final class TlsContexts {

    private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

    private final String role;
    private final ClientCertificates clients;
    private volatile Current current;
    private volatile int reloads;
    private volatile Instant lastReload;

    /** The material and what was built from it. */
    private record Current(TlsMaterial material, QuicSslContext server, QuicSslContext client) {
    }

    private TlsContexts(String role, TlsMaterial material, ClientCertificates clients) {
        this.role = role;
        this.clients = clients;
        this.current = build(material);
        X509Certificate certificate = material.certificate();
        LogLine.info(log).field("tls.role", role).quoted("tls.source", material.source())
                .quoted("tls.cert.subject", subject(certificate)).field("tls.cert.serial", serial(certificate))
                .field("tls.cert.expires", expires(certificate)).field("tls.ca", caSubjects(material))
                .field("client.auth", clients == null ? "n/a" : clients.describe()).log("tls ready");
        warnIfDevelopment(material);
        warnIfNotIssuedByATrustedCa(material);
    }

    /** A role that serves QUIC (and dials too): a server context checking clients as {@code clients} says. */
    public static TlsContexts server(String role, TlsMaterial material, ClientCertificates clients) {
        return new TlsContexts(role, material, java.util.Objects.requireNonNull(clients, "clients"));
    }

    /** A role that only dials (a client). */
    public static TlsContexts client(String role, TlsMaterial material) {
        return new TlsContexts(role, material, null);
    }

    /** The server context new connections take; fails for a client-only role. */
    public Supplier<QuicSslContext> serverContext() {
        if (clients == null) {
            throw new IllegalStateException("role " + role + " has no server context (created with client(...))");
        }
        return () -> current.server();
    }

    /** The client context new connections take. */
    public Supplier<QuicSslContext> clientContext() {
        return () -> current.client();
    }

    /**
     * Rotates to {@code material}: new connections use it from now on. When it cannot be used, logs why and keeps
     * the current contexts.
     *
     * @return whether the new material is in use
     */
    public synchronized boolean reload(TlsMaterial material) {
        Current next;
        try {
            requireNotExpired(material.certificate());
            next = build(material);
        } catch (RuntimeException e) {
            LogLine.warn(log).field("tls.role", role).quoted("tls.source", material.source())
                    .quoted("problem", e.getMessage())
                    .log("cannot use the updated certificates; keeping the current ones");
            return false;
        }
        boolean wasDevelopment = current.material().developmentCa();
        current = next;
        reloads++;
        lastReload = Instant.now();
        X509Certificate certificate = material.certificate();
        LogLine.info(log).field("tls.role", role).quoted("tls.cert.subject", subject(certificate))
                .field("tls.cert.serial", serial(certificate)).field("tls.cert.expires", expires(certificate))
                .field("tls.ca", caSubjects(material))
                .log("reloaded certificates; new connections use them, open connections keep theirs");
        if (!wasDevelopment) {
            warnIfDevelopment(material);
        }
        warnIfNotIssuedByATrustedCa(material);
        return true;
    }

    /**
     * An expired certificate is refused: every peer would refuse it, where the current one may still serve (an old file
     * put back, a renewal writing the wrong file). One not valid yet is taken (a renewal issued a moment ago on a clock
     * a little ahead: refusing it would keep the current one until the next change of the files, maybe past its end),
     * with a WARN, as Boot's {@code ssl} health component also tells.
     */
    private void requireNotExpired(X509Certificate certificate) {
        if (certificate == null) {
            return;
        }
        Instant now = Instant.now();
        if (certificate.getNotAfter().toInstant().isBefore(now)) {
            throw new TlsConfigurationException("the certificate expired at " + certificate.getNotAfter().toInstant()
                    + " (" + subject(certificate) + ", serial " + serial(certificate) + ")");
        }
        if (certificate.getNotBefore().toInstant().isAfter(now)) {
            LogLine.warn(log).field("tls.role", role).quoted("tls.cert.subject", subject(certificate))
                    .field("tls.cert.valid.from", certificate.getNotBefore().toInstant())
                    .log("the updated certificate is not valid yet; peers refuse it until then");
        }
    }

    public String role() {
        return role;
    }

    /** What a server asks of clients; null for a client-only role. */
    public ClientCertificates clientCertificates() {
        return clients;
    }

    public TlsMaterial material() {
        return current.material();
    }

    /** True when a CA trusted now is the development CA (see {@link DevelopmentPki#DEVELOPMENT_CA}). */
    public boolean developmentCa() {
        return current.material().developmentCa();
    }

    /** For a health endpoint: the development-CA flag, the certificate in use, the trusted CAs, reloads. */
    public Map<String, Object> details() {
        TlsMaterial material = current.material();
        X509Certificate certificate = material.certificate();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("developmentCa", material.developmentCa());
        details.put("certificate", subject(certificate));
        details.put("serial", serial(certificate));
        details.put("expires", expires(certificate));
        details.put("trustedCas", caSubjects(material));
        if (clients != null) {
            details.put("clientAuth", clients.describe());
        }
        details.put("reloads", reloads);
        if (lastReload != null) {
            details.put("lastReload", lastReload.toString());
        }
        return details;
    }

    private Current build(TlsMaterial material) {
        QuicSslContext server = clients == null ? null : QuicTls.server(material, clients);
        return new Current(material, server, QuicTls.client(material));
    }

    private void warnIfDevelopment(TlsMaterial material) {
        if (material.developmentCa()) {
            LogLine.warn(log).field("tls.role", role).quoted("tls.ca", DevelopmentPki.DEVELOPMENT_CA.getName())
                    .log("running on the development CA (certs/generate.sh): whoever has a copy of its key can act "
                            + "as any role; use a CA of your own in production (CONNECTION_SWAP_CERTS_DIR or the "
                            + "role's SSL bundle)");
        }
    }

    /**
     * Warns when this role's certificate is signed by none of the CAs it trusts. Every role trusts one store for its
     * peers and is trusted through it, so such a certificate is refused by a peer that requires one, and a client's
     * TLS stack does not even send it (a director with optional client authentication then takes the connection as
     * anonymous): a copy of another installation's certificates, or a CA file replaced alone.
     */
    private void warnIfNotIssuedByATrustedCa(TlsMaterial material) {
        List<X509Certificate> chain = material.certificateChain();
        if (chain.isEmpty() || issuedByATrustedCa(chain.get(chain.size() - 1), material.trustedCas())) {
            return;
        }
        X509Certificate certificate = chain.get(0);
        LogLine.warn(log).field("tls.role", role).quoted("tls.cert.subject", subject(certificate))
                .quoted("tls.cert.issuer", certificate.getIssuerX500Principal().getName())
                .field("tls.ca", caSubjects(material))
                .log("this role's certificate is not signed by a CA it trusts: peers trusting the same CAs will not "
                        + "accept it (a client does not even send it); use the certificates of one PKI");
    }

    private static boolean issuedByATrustedCa(X509Certificate top, List<X509Certificate> cas) {
        for (X509Certificate ca : cas) {
            if (ca.equals(top)) {
                return true;
            }
            if (ca.getSubjectX500Principal().equals(top.getIssuerX500Principal())) {
                try {
                    top.verify(ca.getPublicKey());
                    return true;
                } catch (GeneralSecurityException e) {
                    // same name, another key: not this CA
                }
            }
        }
        return false;
    }

    private static String subject(X509Certificate certificate) {
        return certificate == null ? "none" : certificate.getSubjectX500Principal().getName();
    }

    private static String serial(X509Certificate certificate) {
        return certificate == null ? "none" : certificate.getSerialNumber().toString(16);
    }

    private static String expires(X509Certificate certificate) {
        return certificate == null ? "none" : certificate.getNotAfter().toInstant().toString();
    }

    private static List<String> caSubjects(TlsMaterial material) {
        return material.trustedCas().stream().map(ca -> ca.getSubjectX500Principal().getName()).toList();
    }
}
