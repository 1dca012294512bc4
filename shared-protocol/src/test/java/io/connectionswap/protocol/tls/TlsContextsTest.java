package io.connectionswap.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.netty.handler.codec.quic.QuicSslContext;
import java.nio.file.Path;
import java.util.function.Supplier;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotation: new contexts after a reload, the current ones kept when the new material cannot be used. */
class TlsContextsTest {

    @Test
    void aReloadGivesNewConnectionsTheNewCertificate(@TempDir Path pki) {
        DevelopmentPki.create(pki);
        TlsContexts tls = TlsContexts.server("director", TlsIdentity.of(pki, "director").material(),
                ClientCertificates.anyOfTheCa(false));
        Supplier<QuicSslContext> server = tls.serverContext();
        Supplier<QuicSslContext> client = tls.clientContext();
        QuicSslContext serverBefore = server.get();
        QuicSslContext clientBefore = client.get();
        Object serialBefore = tls.details().get("serial");

        DevelopmentPki.write(pki, DevelopmentPki.issue(DevelopmentPki.readCa(pki), "director"));
        assertThat(tls.reload(TlsIdentity.of(pki, "director").material())).isTrue();

        assertThat(server.get()).isNotSameAs(serverBefore);
        assertThat(client.get()).isNotSameAs(clientBefore);
        assertThat(tls.details()).containsEntry("reloads", 1).containsKey("lastReload")
                .containsEntry("clientAuth", "optional").containsEntry("developmentCa", true);
        assertThat(tls.details().get("serial")).isNotEqualTo(serialBefore)
                .isEqualTo(tls.material().certificate().getSerialNumber().toString(16));
    }

    @Test
    void materialThatCannotServeIsRefusedAndTheCurrentContextStays(@TempDir Path pki) {
        DevelopmentPki.create(pki);
        TlsIdentity identity = TlsIdentity.of(pki, "worker");
        TlsContexts tls = TlsContexts.server("worker", identity.material(), ClientCertificates.only("director"));
        QuicSslContext before = tls.serverContext().get();

        assertThat(tls.reload(TlsMaterial.trustOnly("no key", identity.caCertificates()))).isFalse();

        assertThat(tls.serverContext().get()).isSameAs(before);
        assertThat(tls.details()).containsEntry("reloads", 0).containsEntry("clientAuth", "required CN in [director]");
    }

    @Test
    void theDevelopmentCaIsRecognisedByItsSubject(@TempDir Path development, @TempDir Path own) {
        DevelopmentPki.create(development);
        DevelopmentPki.create(own, new X500Principal("CN=connection-swap production CA, O=connection-swap"));
        assertThat(TlsContexts.client("client", TlsIdentity.of(development, "client").material()).developmentCa())
                .isTrue();
        TlsContexts ownCa = TlsContexts.client("client", TlsIdentity.of(own, "client").material());
        assertThat(ownCa.developmentCa()).isFalse();
        assertThat(ownCa.details()).containsEntry("developmentCa", false).doesNotContainKey("clientAuth");
        assertThatThrownBy(ownCa::serverContext).hasMessageContaining("no server context");
    }

    @Test
    void aCertificateOfAnotherPkiThanTheTrustedCaIsWarnedAbout(@TempDir Path ours, @TempDir Path theirs) {
        DevelopmentPki.create(ours);
        DevelopmentPki.create(theirs, new X500Principal("CN=another installation's CA, O=connection-swap"));
        TlsMaterial own = TlsIdentity.of(ours, "client").material();
        TlsMaterial mixed = new TlsMaterial("mixed", own.keyManagers(), own.certificateChain(),
                TlsIdentity.of(theirs, "client").material().trustedCas());
        try (CapturedLogs logs = CapturedLogs.of(TlsContexts.class.getName())) {
            TlsContexts.client("client", own);
            assertThat(logs.events()).extracting(ILoggingEvent::getFormattedMessage)
                    .noneMatch(line -> line.contains("not signed by a CA it trusts"));

            TlsContexts.client("client", mixed);
            assertThat(logs.events()).filteredOn(event -> event.getLevel() == Level.WARN)
                    .extracting(ILoggingEvent::getFormattedMessage)
                    .anyMatch(line -> line.contains("not signed by a CA it trusts")
                            && line.contains("another installation"));
        }
    }

    @Test
    void aKeyOfAnotherCertificateIsNamed(@TempDir Path pki) throws Exception {
        DevelopmentPki.create(pki);
        java.nio.file.Files.copy(pki.resolve("worker.key"), pki.resolve("director.key"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> TlsIdentity.of(pki, "director"))
                .isInstanceOf(TlsConfigurationException.class)
                .hasMessageContaining("the private key is not the key of the certificate CN=director");
    }

    @Test
    void theClientAuthSettingIsChecked() {
        assertThat(ClientCertificates.requiredBySetting("required")).isTrue();
        assertThat(ClientCertificates.requiredBySetting("Optional")).isFalse();
        assertThat(ClientCertificates.requiredBySetting("")).isFalse();
        assertThatThrownBy(() -> ClientCertificates.requiredBySetting("sometimes"))
                .hasMessage("CONNECTION_SWAP_CLIENT_AUTH=sometimes (expected: optional or required)");
    }
}
