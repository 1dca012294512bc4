package io.connectionswap.deploy.k8s;

import static io.connectionswap.deploy.k8s.Manifests.hostOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.deploy.Repository;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.certmanager.api.model.v1.Issuer;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code k8s/components/cert-manager} on top of the production overlay: an Issuer chain ending in a CA of the
 * namespace, one Certificate per role whose names and usages are what the services check, and each role's Secret
 * mounted at {@code CONNECTION_SWAP_CERTS_DIR} under the file names the services read.
 */
class CertManagerComponentTest {

    private static Manifests withCertManager;
    private static Manifests dev;

    @RegisterExtension
    static final RenderOrSkip RENDER = new RenderOrSkip(() -> {
        Kustomize.requireTools(CertManagerComponentTest.class, true);
        Path overlay = Kustomize.overlay("k8s-overlay-cert-manager",
                Repository.resolve("k8s/overlays/production"), Repository.resolve("k8s/components/cert-manager"));
        withCertManager = Manifests.parse(Kustomize.render(overlay));
        dev = Kustomize.dev(CertManagerComponentTest.class);
    });

    @Test
    void theRoleCertificatesComeFromACaOfTheNamespace() {
        assertThat(withCertManager.all(Secret.class)).as("cert-manager makes the Secrets, kustomize none").isEmpty();
        for (String role : Manifests.ROLES) {
            Certificate cert = certificate(role);
            assertThat(cert.getSpec().getIssuerRef().getKind()).isEqualTo("Issuer");
            Issuer issuer = withCertManager.single(Issuer.class, cert.getSpec().getIssuerRef().getName());
            assertThat(issuer.getSpec().getCa()).as("%s is signed by a CA Issuer", role).isNotNull();
            Certificate ca = withCertManager.all(Certificate.class).stream()
                    .filter(c -> c.getSpec().getSecretName().equals(issuer.getSpec().getCa().getSecretName()))
                    .findFirst().orElseThrow(() -> new AssertionError("no Certificate makes the CA Secret "
                            + issuer.getSpec().getCa().getSecretName()));
            assertThat(ca.getSpec().getIsCA()).isTrue();
            Issuer root = withCertManager.single(Issuer.class, ca.getSpec().getIssuerRef().getName());
            assertThat(root.getSpec().getSelfSigned()).as("the CA bootstraps itself").isNotNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"director", "worker", "client"})
    void eachRoleGetsTheNameUsagesAndKeyTheServicesCheck(String role) throws Exception {
        Certificate cert = certificate(role);
        assertThat(cert.getSpec().getCommonName()).as("%s CN: the peers check it", role).isEqualTo(role);
        List<String> usages = cert.getSpec().getUsages();
        assertThat(usages).as("%s usages", role).contains("client auth", "digital signature");
        if (!role.equals("client")) {
            assertThat(usages).as("%s serves QUIC", role).contains("server auth");
        }
        assertThat(cert.getSpec().getPrivateKey().getAlgorithm()).isEqualTo("ECDSA");
        assertThat(cert.getSpec().getPrivateKey().getSize()).isEqualTo(256);
        assertThat(cert.getSpec().getPrivateKey().getEncoding()).as("PKCS#8: what Netty's QUIC TLS reads")
                .isEqualTo("PKCS8");

        // every name some peer verifies on this role's certificate
        Set<String> verified = new HashSet<>();
        Map<String, String> client = withCertManager.env("client");
        Map<String, String> worker = withCertManager.env("worker");
        Map<String, String> director = withCertManager.env("director");
        if (role.equals("director")) {
            verified.addAll(List.of(client.get("CONNECTION_SWAP_DIRECTOR_TLS_NAME"),
                    hostOf(client.get("CONNECTION_SWAP_DIRECTOR_TARGET")),
                    hostOf(worker.get("CONNECTION_SWAP_DIRECTOR_TARGET"))));
        } else if (role.equals("worker")) {
            verified.add(director.get("CONNECTION_SWAP_WORKER_TLS_NAME"));
        }
        assertThat(cert.getSpec().getDnsNames()).as("%s dnsNames", role).containsAll(verified);

        // the same Kubernetes names certs/generate.sh puts into the development certificates
        Path pki = Kustomize.devCopy(CertManagerComponentTest.class).resolve(Kustomize.DEV_PKI);
        Set<String> development = Pem.dnsNames(Pem.certificate(pki.resolve(role + ".pem")));
        assertThat(development).as("%s: names of the dev certificate", role)
                .containsAll(cert.getSpec().getDnsNames());
    }

    @ParameterizedTest
    @ValueSource(strings = {"director", "worker", "client"})
    void eachRoleMountsItsOwnSecretAsTheFilesItReads(String role) {
        String certsDir = withCertManager.env(role).get("CONNECTION_SWAP_CERTS_DIR");
        VolumeMount mount = withCertManager.container(role).getVolumeMounts().stream()
                .filter(v -> v.getMountPath().equals(certsDir)).findFirst().orElseThrow();
        Volume volume = withCertManager.volume(role, mount.getName());
        assertThat(volume.getSecret()).as("%s: the shared connection-swap-certs is gone", role).isNull();
        assertThat(volume.getProjected()).as("%s: a projected volume", role).isNotNull();
        assertThat(volume.getProjected().getSources()).hasSize(1);
        SecretProjection secret = volume.getProjected().getSources().get(0).getSecret();
        assertThat(secret.getName()).isEqualTo(certificate(role).getSpec().getSecretName());
        Map<String, String> items = secret.getItems().stream()
                .collect(Collectors.toMap(KeyToPath::getKey, KeyToPath::getPath));
        assertThat(items).as("%s: cert-manager's keys as the files the service reads", role).containsOnly(
                Map.entry("ca.crt", "ca.pem"), Map.entry("tls.crt", role + ".pem"), Map.entry("tls.key", role + ".key"));

        // the same file names the dev overlay mounts from its generated Secret
        Set<String> devFiles = dev.volume(role, mount.getName()).getSecret().getItems().stream()
                .map(KeyToPath::getPath).collect(Collectors.toSet());
        assertThat(Set.copyOf(items.values())).isEqualTo(devFiles);
        assertThat(volume.getProjected().getDefaultMode()).as("%s: mode 0440, group 10001 reads", role)
                .isEqualTo(0440);
    }

    private static Certificate certificate(String role) {
        List<Certificate> found = withCertManager.all(Certificate.class).stream()
                .filter(c -> role.equals(c.getSpec().getCommonName())).collect(Collectors.toList());
        assertThat(found).as("Certificates with CN=%s", role).hasSize(1);
        return found.get(0);
    }
}
