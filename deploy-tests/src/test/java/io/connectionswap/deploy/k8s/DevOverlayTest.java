package io.connectionswap.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.deploy.Command;
import io.connectionswap.deploy.Repository;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dev overlay ({@code k8s/overlays/dev}, which {@code kubectl apply -k k8s} installs): its certificate Secret
 * comes from a development CA that {@code generate-certs.sh} makes with {@code certs/generate.sh} on the
 * developer's machine, and nothing secret is committed under {@code k8s/}. The script runs in copies of
 * {@code k8s/} under {@code target/}, never in the worktree.
 */
class DevOverlayTest {

    private static final List<String> SECRET_FILES = List.of(
            "ca.pem", "director.pem", "director.key", "worker.pem", "worker.key", "client.pem", "client.key");

    @RegisterExtension
    static final RenderOrSkip TOOLS = new RenderOrSkip(() -> Kustomize.requireTools(DevOverlayTest.class, true));

    @Test
    void aFreshCloneIsToldToRunTheScriptFirst() throws IOException {
        Path fresh = Kustomize.freshCopy("fresh-clone");
        Command.Result render = Kustomize.tryRender(fresh.resolve("k8s"));
        assertThat(render.exitCode()).as("rendering k8s without the development PKI fails").isNotZero();
        // kustomize cannot run scripts or print a message of ours: the missing directory's name is the message
        assertThat(render.stderr()).as("kustomize's error names the script's output directory")
                .contains("k8s/overlays/dev/certs-from-generate-certs.sh: no such file or directory");
        assertThat(fresh.resolve(Kustomize.DEV_SCRIPT)).as("the script that directory is named after").exists()
                .isExecutable();
        assertThat(Files.readString(fresh.resolve("k8s/overlays/dev/kustomization.yaml")))
                .as("the overlay says what to run").contains("k8s/overlays/dev/generate-certs.sh");

        Command.Result script = Kustomize.runDevScript(fresh);
        assertThat(script.exitCode()).as("%s", script.describe()).isZero();
        assertThat(script.stdout()).as("the script says what it did and what comes next")
                .contains("made a new development CA").contains("certs/generate.sh")
                .contains("the CA's private key was discarded").contains("kubectl apply -k");
        assertThat(Kustomize.tryRender(fresh.resolve("k8s")).exitCode()).as("then k8s renders").isZero();
    }

    @Test
    void theSecretHoldsExactlyWhatTheScriptMade() throws Exception {
        Manifests dev = Kustomize.dev(DevOverlayTest.class);
        Path pki = Kustomize.devCopy(DevOverlayTest.class).resolve(Kustomize.DEV_PKI);
        Secret secret = dev.single(Secret.class, K8sManifestTest.CERTS_SECRET);
        assertThat(secret.getData()).as("Secret keys").containsOnlyKeys(SECRET_FILES.toArray(String[]::new));
        for (Map.Entry<String, String> entry : secret.getData().entrySet()) {
            assertThat(Base64.getMimeDecoder().decode(entry.getValue())).as("Secret key %s", entry.getKey())
                    .isEqualTo(Files.readAllBytes(pki.resolve(entry.getKey())));
        }
        try (Stream<Path> files = Files.list(pki)) {
            assertThat(files.map(p -> p.getFileName().toString()).collect(Collectors.toList()))
                    .as("the script leaves the files the Secret needs, and no CA key")
                    .containsExactlyInAnyOrderElementsOf(SECRET_FILES);
        }
    }

    @Test
    void theScriptMakesACaAndOneCertificatePerRoleSignedByIt() throws Exception {
        Path pki = Kustomize.devCopy(DevOverlayTest.class).resolve(Kustomize.DEV_PKI);
        X509Certificate ca = Pem.certificate(pki.resolve("ca.pem"));
        assertThat(ca.getBasicConstraints()).as("ca.pem is a CA").isGreaterThanOrEqualTo(0);
        assertThat(Pem.commonName(ca)).contains("development");
        for (String role : Manifests.ROLES) {
            X509Certificate cert = Pem.certificate(pki.resolve(role + ".pem"));
            cert.verify(ca.getPublicKey());   // throws unless ca.pem signed it
            assertThat(Pem.commonName(cert)).as("%s.pem CN (the peers check it)", role).isEqualTo(role);
            PrivateKey key = Pem.ecPrivateKey(Files.readAllBytes(pki.resolve(role + ".key")));
            assertThat(Pem.belongTogether(key, cert)).as("%s.key belongs to %s.pem", role, role).isTrue();
            assertThat(Files.getPosixFilePermissions(pki.resolve(role + ".key")))
                    .as("%s.key readable by its owner only", role)
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            assertThat(Pem.dnsNames(cert)).as("%s.pem SANs: the Service names in the namespace", role)
                    .contains(role.equals("director") ? "director-headless." + K8sManifestTest.CLUSTER_DOMAIN
                            : role.equals("worker") ? "worker-headless." + K8sManifestTest.CLUSTER_DOMAIN
                            : "client." + K8sManifestTest.CLUSTER_DOMAIN);
        }
    }

    @Test
    void theScriptKeepsAnExistingPkiAndReplacesItOnlyWithForce() throws Exception {
        Path root = Kustomize.freshCopy("dev-script-again");
        assertThat(Kustomize.runDevScript(root).exitCode()).isZero();
        Path ca = root.resolve(Kustomize.DEV_PKI).resolve("ca.pem");
        byte[] first = Files.readAllBytes(ca);

        Command.Result again = Kustomize.runDevScript(root);
        assertThat(again.exitCode()).as("%s", again.describe()).isZero();
        assertThat(again.stdout()).contains("kept the development PKI").contains("--force");
        assertThat(Files.readAllBytes(ca)).as("a second run keeps the CA").isEqualTo(first);

        Command.Result forced = Kustomize.runDevScript(root, "--force");
        assertThat(forced.exitCode()).as("%s", forced.describe()).isZero();
        assertThat(Files.readAllBytes(ca)).as("--force makes a new CA").isNotEqualTo(first);

        Command.Result wrong = Kustomize.runDevScript(root, "--frce");
        assertThat(wrong.exitCode()).isEqualTo(2);
        assertThat(wrong.stderr()).contains("unknown argument '--frce'");
    }

    @Test
    void noPrivateKeyOrCertificateIsCommittedUnderK8s() throws IOException {
        Path k8s = Repository.resolve("k8s");
        Path pki = Repository.resolve(Kustomize.DEV_PKI);
        List<String> offending = new ArrayList<>();
        try (Stream<Path> files = Files.walk(k8s)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                if (file.startsWith(pki)) {
                    continue;   // this machine's development PKI, git-ignored (checked below)
                }
                String text = Files.readString(file);
                if (text.contains("PRIVATE KEY-----") || text.contains("BEGIN CERTIFICATE")) {
                    offending.add(Repository.root().relativize(file).toString());
                }
            }
        }
        assertThat(offending).as("files under k8s/ with a key or certificate in them").isEmpty();

        // the script's output directory is git-ignored, so that a key made there is never committed
        if (Files.exists(Repository.resolve(".git"))) {
            Command.Result ignored = Command.of("git", "check-ignore", "-q", "--no-index",
                            Kustomize.DEV_PKI + "/director.key")
                    .directory(Repository.root()).timeout(Duration.ofSeconds(30)).run();
            assertThat(ignored.exitCode()).as("git check-ignore %s/director.key: %s", Kustomize.DEV_PKI,
                    ignored.describe()).isZero();
            Command.Result tracked = Command.of("git", "ls-files", "k8s")
                    .directory(Repository.root()).timeout(Duration.ofSeconds(30)).run();
            assertThat(tracked.stdout().lines().filter(f -> f.endsWith(".key") || f.endsWith(".pem")))
                    .as("PEM files tracked by git under k8s/").isEmpty();
        }
    }
}
