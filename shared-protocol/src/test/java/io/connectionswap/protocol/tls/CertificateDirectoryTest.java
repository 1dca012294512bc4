package io.connectionswap.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateDirectoryTest {

    @Test
    void findsTheRepositoryCertsFromAModuleDirectory() {
        Path found = CertificateDirectory.locate(null);
        assertThat(found.resolve("ca.pem")).exists();
        assertThat(found.getFileName().toString()).isEqualTo("certs");
    }

    @Test
    void explicitDirectoryMustExist(@TempDir Path temp) {
        assertThatThrownBy(() -> CertificateDirectory.locate(temp.resolve("nope").toString()))
                .isInstanceOf(TlsConfigurationException.class)
                .hasMessageContaining("CONNECTION_SWAP_CERTS_DIR=")
                .hasMessageContaining("is not a directory");
    }

    @Test
    void theErrorNamesEachDirectoryLookedInOnceInTheOrderSearched(@TempDir Path temp) throws Exception {
        // two starts with common ancestors, as the working directory and the jar's directory have
        Path first = Files.createDirectories(temp.resolve("module/target"));
        Path second = Files.createDirectories(temp.resolve("other"));
        List<Path> searched = new ArrayList<>(List.of(first.resolve("certs"), temp.resolve("module/certs")));
        for (Path dir = temp; dir != null; dir = dir.getParent()) {
            searched.add(dir.resolve("certs"));
        }
        searched.add(second.resolve("certs"));

        assertThatThrownBy(() -> CertificateDirectory.search(List.of(first, second), "CONNECTION_SWAP_CERTS_DIR"))
                .isInstanceOf(TlsConfigurationException.class)
                .hasMessageStartingWith("no certificate directory found: set CONNECTION_SWAP_CERTS_DIR")
                .satisfies(e -> assertThat(lookedIn(e.getMessage()))
                        .as("the directories the message names, in %s", e.getMessage())
                        .containsExactlyElementsOf(searched.stream().map(Path::toString).toList()));
    }

    /** The directories in "... (looked for certs/ca.pem in [a, b])". */
    private static List<String> lookedIn(String message) {
        String list = message.substring(message.lastIndexOf(" in [") + " in [".length(), message.lastIndexOf("])"));
        return List.of(list.split(", "));
    }

    @Test
    void missingRoleFilesAreNamed(@TempDir Path temp) throws Exception {
        Files.copy(CertificateDirectory.locate(null).resolve("ca.pem"), temp.resolve("ca.pem"));
        assertThatThrownBy(() -> TlsIdentity.of(temp, "worker"))
                .isInstanceOf(TlsConfigurationException.class)
                .hasMessageContaining("worker.pem: no such file");
    }

    @Test
    void garbageCaIsReported(@TempDir Path temp) throws Exception {
        Path certs = CertificateDirectory.locate(null);
        Files.copy(certs.resolve("worker.pem"), temp.resolve("worker.pem"));
        Files.copy(certs.resolve("worker.key"), temp.resolve("worker.key"));
        Files.writeString(temp.resolve("ca.pem"), "not a certificate");
        assertThatThrownBy(() -> TlsIdentity.of(temp, "worker"))
                .isInstanceOf(TlsConfigurationException.class)
                .hasMessageContaining("ca.pem");
    }

    @Test
    void rolesOfTheRepositoryLoad() {
        Path certs = CertificateDirectory.locate(null);
        for (String role : new String[] {"director", "worker", "client"}) {
            TlsIdentity identity = TlsIdentity.of(certs, role);
            assertThat(QuicTls.client(identity)).isNotNull();
        }
    }
}
