package io.connectionswap.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each role's own files in a directory of its own, for a container that mounts its role's only (the compose stack). */
class RoleDirectoriesTest {

    @Test
    void eachRoleDirectoryHoldsTheCaCertificateAndThatRolesCertificateAndKeyOnly(@TempDir Path pki) throws Exception {
        DevelopmentPki.main(new String[] {"--if-missing", "--role-dirs", pki.toString()});

        for (String role : DevelopmentPki.ROLES) {
            Path directory = pki.resolve(role);
            assertThat(names(directory)).as(role).containsExactlyInAnyOrder("ca.pem", role + ".pem", role + ".key");
            for (String name : List.of("ca.pem", role + ".pem", role + ".key")) {
                assertThat(directory.resolve(name)).hasSameBinaryContentAs(pki.resolve(name));
            }
            // what a service reads from CONNECTION_SWAP_CERTS_DIR: the role's identity and the CA, usable as they are
            assertThat(TlsIdentity.of(directory, role).material().certificate())
                    .isEqualTo(TlsIdentity.of(pki, role).material().certificate());
        }
    }

    @Test
    void aCopyIsReplacedOnlyWhenItsSourceChanged(@TempDir Path pki) throws Exception {
        DevelopmentPki.create(pki);
        RoleDirectories.publish(pki);
        Object workerKey = inode(pki.resolve("worker/worker.key"));
        Object directorKey = inode(pki.resolve("director/director.key"));

        DevelopmentPki.write(pki, DevelopmentPki.issue(DevelopmentPki.readCa(pki), "director")); // a renewal
        RoleDirectories.publish(pki);

        assertThat(inode(pki.resolve("worker/worker.key"))).as("unchanged: not rewritten").isEqualTo(workerKey);
        assertThat(inode(pki.resolve("director/director.key"))).as("renewed: replaced").isNotEqualTo(directorKey);
        assertThat(pki.resolve("director/director.pem")).hasSameBinaryContentAs(pki.resolve("director.pem"));
    }

    @Test
    void aRoleWithAFileMissingIsLeftAsItIsAndSaysSo(@TempDir Path pki) throws Exception {
        DevelopmentPki.create(pki);
        Files.delete(pki.resolve("client.key")); // a PKI of one's own without the client's identity

        List<String> report = RoleDirectories.publish(pki);

        assertThat(pki.resolve("client")).doesNotExist();
        assertThat(pki.resolve("director/director.key")).isRegularFile();
        assertThat(report).anySatisfy(line -> assertThat(line).contains("has no client.key", "left as it is"));
    }

    private static List<String> names(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).toList();
        }
    }

    private static Object inode(Path file) throws IOException {
        return Files.getAttribute(file, "unix:ino");
    }
}
