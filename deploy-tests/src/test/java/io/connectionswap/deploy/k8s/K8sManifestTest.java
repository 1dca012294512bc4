package io.connectionswap.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.connectionswap.deploy.Command;
import io.connectionswap.deploy.Repository;
import io.connectionswap.testsupport.tools.ExternalTool;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.Endpoint;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.TestAbortedException;

/**
 * The Kubernetes manifests in {@code k8s/}, rendered offline with {@code kubectl kustomize}, parsed strictly into
 * the fabric8 model and checked against what the applications actually read: their Actuator groups, ports,
 * environment variables, certificate directory and drain timeout. No cluster is needed.
 */
class K8sManifestTest {

    private static final String NAMESPACE = "connection-swap";
    private static final String CLUSTER_DOMAIN = NAMESPACE + ".svc.cluster.local";
    private static final String LIVENESS = "/actuator/health/liveness";
    private static final String READINESS = "/actuator/health/readiness";
    private static final String PROMETHEUS = "/actuator/prometheus";
    /** kustomize generators append a 10-character content hash to the name. */
    private static final int MIN_KUBECTL_MINOR = 27;
    private static final Pattern GENERATED = Pattern.compile("(.+)-[a-z0-9]{10}");

    private static String rendered;
    private static List<HasMetadata> objects;

    /** No kubectl, or one too old (the test is then skipped), or null. */
    private static TestAbortedException kubectlMissing;

    @BeforeAll
    static void render() {
        try {
            // no kubectl, or one too old: one MISSING TOOL line, and every test here skipped (failed with CI=true)
            requireRecentKubectl();
        } catch (TestAbortedException e) {
            kubectlMissing = e;   // thrown again in @BeforeEach, where surefire counts each test as skipped
            return;
        }
        rendered = kustomize(Repository.resolve("k8s"));
        objects = StrictManifests.parse(rendered);
    }

    @BeforeEach
    void skipWithoutKubectl() {
        if (kubectlMissing != null) {
            throw kubectlMissing;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // What is rendered
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void rendersTheExpectedObjectsIntoOneNamespace() {
        List<String> kindsAndNames = objects.stream()
                .map(o -> o.getKind() + "/" + baseName(o))
                .collect(Collectors.toList());
        assertThat(kindsAndNames).containsExactlyInAnyOrder(
                "Namespace/connection-swap",
                "ConfigMap/connection-swap-env",
                "Secret/connection-swap-certs",
                "Deployment/director", "Service/director", "Service/director-headless",
                "Deployment/worker", "Service/worker-headless", "PodDisruptionBudget/worker",
                "Deployment/client", "Service/client");
        assertThat(objects).filteredOn(o -> !(o instanceof io.fabric8.kubernetes.api.model.Namespace))
                .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).as(describe(o)).isEqualTo(NAMESPACE));
        assertThat(deployment("director").getSpec().getReplicas()).isEqualTo(1);
        assertThat(deployment("worker").getSpec().getReplicas()).isEqualTo(2);
        assertThat(deployment("client").getSpec().getReplicas()).isEqualTo(1);
    }

    @Test
    void strictParsingRejectsFieldsTheSchemaDoesNotHave() {
        JsonNode worker = StrictManifests.documents(rendered).stream()
                .filter(d -> d.path("kind").asText().equals("Deployment")
                        && d.path("metadata").path("name").asText().equals("worker"))
                .findFirst().orElseThrow();

        ObjectNode misspelledTopLevel = worker.deepCopy();
        ((ObjectNode) misspelledTopLevel.get("spec")).put("replica", 2);
        assertThatThrownBy(() -> StrictManifests.parse(misspelledTopLevel))
                .hasMessageContaining("Deployment worker").hasMessageContaining("replica");

        ObjectNode misspelledDeep = worker.deepCopy();
        ((ObjectNode) misspelledDeep.at("/spec/template/spec/containers/0/livenessProbe")).putObject("httpGett");
        assertThatThrownBy(() -> StrictManifests.parse(misspelledDeep))
                .hasMessageContaining("httpGett")
                .hasMessageContaining(".spec.template.spec.containers[0].livenessProbe");

        ObjectNode unknownKind = worker.deepCopy();
        unknownKind.put("kind", "StatefulSet");
        assertThatThrownBy(() -> StrictManifests.parse(unknownKind)).hasMessageContaining("not a kind");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Against each application's own configuration
    // ---------------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"director", "worker", "client"})
    void probesUseTheApplicationsOwnActuatorGroups(String role) {
        ApplicationConfig app = ApplicationConfig.of(role);
        assertThat(app.at("management.endpoint.health.probes.enabled").asBoolean())
                .as("%s: management.endpoint.health.probes.enabled", app.file()).isTrue();
        assertThat(app.at("management.endpoint.health.group.liveness").isObject())
                .as("%s defines the liveness group", app.file()).isTrue();
        assertThat(app.at("management.endpoint.health.group.readiness").isObject())
                .as("%s defines the readiness group", app.file()).isTrue();
        assertThat(app.at("management.endpoints.web.exposure.include").asText().split("\\s*,\\s*"))
                .as("%s exposes", app.file()).contains("health", "prometheus");

        Container container = container(role);
        int serverPort = Integer.parseInt(env(role).get("SERVER_PORT"));
        assertProbe(role, "livenessProbe", container.getLivenessProbe(), LIVENESS, serverPort);
        assertProbe(role, "readinessProbe", container.getReadinessProbe(), READINESS, serverPort);
        assertProbe(role, "startupProbe", container.getStartupProbe(), LIVENESS, serverPort);
        Probe startup = container.getStartupProbe();
        assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold())
                .as("%s: seconds a slow JVM start may take before the kubelet restarts it", role)
                .isGreaterThanOrEqualTo(60);
    }

    @ParameterizedTest
    @ValueSource(strings = {"director", "worker", "client"})
    void containerPortsMatchTheApplicationsEnvironment(String role) {
        Container container = container(role);
        Map<String, String> env = env(role);
        int serverPort = Integer.parseInt(env.get("SERVER_PORT"));
        assertThat(container.getPorts())
                .as("%s: TCP port named http = SERVER_PORT", role)
                .anySatisfy(p -> {
                    assertThat(p.getName()).isEqualTo("http");
                    assertThat(p.getProtocol()).isEqualTo("TCP");
                    assertThat(p.getContainerPort()).isEqualTo(serverPort);
                });

        List<Integer> udpPorts = container.getPorts().stream()
                .filter(p -> "UDP".equals(p.getProtocol()))
                .map(ContainerPort::getContainerPort)
                .collect(Collectors.toList());
        String bindVariable = switch (role) {
            case "director" -> "CONNECTION_SWAP_DIRECTOR_ADDR";
            case "worker" -> "CONNECTION_SWAP_WORKER_ADDR";
            default -> null;
        };
        if (bindVariable == null) {
            assertThat(udpPorts).as("%s serves no QUIC", role).isEmpty();
        } else {
            assertThat(udpPorts).as("%s: UDP port = the port of %s", role, bindVariable)
                    .containsExactly(portOf(env.get(bindVariable)));
            assertThat(hostOf(env.get(bindVariable)))
                    .as("%s: %s must bind every interface in a pod", role, bindVariable).isEqualTo("0.0.0.0");
            assertThat(namedPort(container, "quic").getContainerPort()).isEqualTo(portOf(env.get(bindVariable)));
        }

        Map<String, String> annotations = deployment(role).getSpec().getTemplate().getMetadata().getAnnotations();
        assertThat(annotations)
                .as("%s: Prometheus scrape annotations", role)
                .containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", String.valueOf(serverPort))
                .containsEntry("prometheus.io/path", PROMETHEUS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"director", "worker", "client"})
    void everyVariableSetForARoleIsOneThatRoleReads(String role) {
        ApplicationConfig app = ApplicationConfig.of(role);
        List<String> unread = container(role).getEnv().stream()
                .map(EnvVar::getName)
                .filter(n -> n.startsWith("CONNECTION_SWAP_") || n.startsWith("SERVER_"))
                .filter(n -> !app.reads(n))
                .collect(Collectors.toList());
        assertThat(unread)
                .as("%s sets variables that %s never reads (no ${NAME:...} placeholder there; read: %s)",
                        role, app.file(), app.variables().keySet())
                .isEmpty();
    }

    @Test
    void theSharedConfigMapFeedsEveryPodWithVariablesTheApplicationsRead() {
        ConfigMap shared = single(ConfigMap.class, "connection-swap-env");
        Set<String> readBySomeRole = new TreeSet<>();
        for (String role : List.of("director", "worker", "client")) {
            readBySomeRole.addAll(ApplicationConfig.of(role).variables().keySet());
            assertThat(container(role).getEnvFrom())
                    .as("%s takes the shared environment", role)
                    .extracting(e -> e.getConfigMapRef() == null ? null : e.getConfigMapRef().getName())
                    .contains(shared.getMetadata().getName());
        }
        assertThat(shared.getData()).containsEntry("CONNECTION_SWAP_TOKEN_INTERVAL", "1s");
        assertThat(readBySomeRole).as("variables the applications read").containsAll(shared.getData().keySet());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Services, addresses and names
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void servicesSelectTheirPodsAndTargetPortsThatExist() {
        assertService("director", false, Map.of("quic", "UDP/61000", "http", "TCP/8080"), "director");
        assertService("director-headless", true, Map.of("quic", "UDP/61000"), "director");
        assertService("worker-headless", true, Map.of("quic", "UDP/62001", "http", "TCP/8081"), "worker");
        assertService("client", false, Map.of("http", "TCP/8090"), "client");
        assertThat(service("worker-headless").getSpec().getPublishNotReadyAddresses())
                .as("worker-headless lists starting and draining workers; the director health-checks them itself")
                .isTrue();
    }

    @Test
    void addressesNameServicesThatExistAndCertificatesThatCoverThem() throws Exception {
        Map<String, String> director = env("director");
        Map<String, String> worker = env("worker");
        Map<String, String> client = env("client");
        Set<String> directorNames = dnsNames("director.pem");
        Set<String> workerNames = dnsNames("worker.pem");

        // workers register with every director replica through the headless Service
        assertThat(worker.get("CONNECTION_SWAP_DIRECTOR_TARGET"))
                .isEqualTo("director-headless." + CLUSTER_DOMAIN + ":" + servicePort("director-headless", "quic"));
        assertThat(directorNames).contains(hostOf(worker.get("CONNECTION_SWAP_DIRECTOR_TARGET")));
        // clients reach one replica through the ClusterIP Service and verify the name "director"
        assertThat(client.get("CONNECTION_SWAP_DIRECTOR_TARGET"))
                .isEqualTo("director." + CLUSTER_DOMAIN + ":" + servicePort("director", "quic"));
        assertThat(directorNames).contains(client.get("CONNECTION_SWAP_DIRECTOR_TLS_NAME"),
                hostOf(client.get("CONNECTION_SWAP_DIRECTOR_TARGET")));
        // the director finds every worker pod behind worker-headless and verifies one name on all of them
        assertThat(director.get("CONNECTION_SWAP_DISCOVERY_DNS"))
                .isEqualTo("worker-headless." + CLUSTER_DOMAIN + ":" + servicePort("worker-headless", "quic"));
        assertThat(portOf(director.get("CONNECTION_SWAP_DISCOVERY_DNS")))
                .isEqualTo(namedPort(container("worker"), "quic").getContainerPort());
        assertThat(director.get("CONNECTION_SWAP_DISCOVERY_HEALTH_PORT")).isEqualTo(worker.get("SERVER_PORT"));
        assertThat(workerNames).contains(director.get("CONNECTION_SWAP_WORKER_TLS_NAME"));
        assertThat(director.get("CONNECTION_SWAP_HEALTH_INTERVAL")).isEqualTo("500ms");

        // a worker advertises its pod IP; Kubernetes expands $(POD_IP) only if POD_IP is defined earlier
        List<String> workerEnvOrder = container("worker").getEnv().stream().map(EnvVar::getName)
                .collect(Collectors.toList());
        EnvVar podIp = container("worker").getEnv().stream().filter(e -> e.getName().equals("POD_IP"))
                .findFirst().orElseThrow(() -> new AssertionError("worker: no POD_IP variable"));
        assertThat(podIp.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
        int workerQuic = namedPort(container("worker"), "quic").getContainerPort();
        assertThat(worker.get("CONNECTION_SWAP_WORKER_ADVERTISE")).isEqualTo("$(POD_IP):" + workerQuic);
        assertThat(worker.get("CONNECTION_SWAP_WORKER_ADVERTISE_HEALTH_URL"))
                .isEqualTo("http://$(POD_IP):" + worker.get("SERVER_PORT") + "/actuator/health");
        for (String uses : List.of("CONNECTION_SWAP_WORKER_ADVERTISE", "CONNECTION_SWAP_WORKER_ADVERTISE_HEALTH_URL")) {
            assertThat(workerEnvOrder.indexOf("POD_IP")).as("POD_IP defined before %s", uses)
                    .isLessThan(workerEnvOrder.indexOf(uses));
        }
        EnvVar label = container("worker").getEnv().stream()
                .filter(e -> e.getName().equals("CONNECTION_SWAP_WORKER_LABEL")).findFirst().orElseThrow();
        assertThat(label.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Lifecycle, certificates, security
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void workersGetMoreTimeToStopThanTheirDrainTakes() {
        ApplicationConfig app = ApplicationConfig.of("worker");
        String drain = env("worker").getOrDefault("CONNECTION_SWAP_DRAIN_TIMEOUT",
                app.defaultOf("CONNECTION_SWAP_DRAIN_TIMEOUT"));
        assertThat(drain).as("CONNECTION_SWAP_DRAIN_TIMEOUT (manifest or %s default)", app.file()).isNotNull();
        long grace = deployment("worker").getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        assertThat(Duration.ofSeconds(grace))
                .as("worker terminationGracePeriodSeconds vs CONNECTION_SWAP_DRAIN_TIMEOUT=%s", drain)
                .isGreaterThan(ApplicationConfig.duration(drain));
    }

    @Test
    void workersHaveADisruptionBudget() {
        PodDisruptionBudget pdb = single(PodDisruptionBudget.class, "worker");
        assertThat(pdb.getSpec().getMinAvailable()).isEqualTo(new IntOrString(1));
        assertThat(selects(pdb.getSpec().getSelector(), templateLabels("worker"))).isTrue();
        assertThat(selects(pdb.getSpec().getSelector(), templateLabels("director"))).isFalse();
        assertThat(deployment("worker").getSpec().getReplicas()).isGreaterThan(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"director", "worker", "client"})
    void certificatesAreMountedWhereTheApplicationReadsThem(String role) {
        String certsDir = env(role).get("CONNECTION_SWAP_CERTS_DIR");
        assertThat(certsDir).as("%s: CONNECTION_SWAP_CERTS_DIR", role).isNotBlank();
        VolumeMount mount = container(role).getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals(certsDir)).findFirst()
                .orElseThrow(() -> new AssertionError(role + ": nothing mounted at CONNECTION_SWAP_CERTS_DIR="
                        + certsDir));
        assertThat(mount.getReadOnly()).as("%s: certificates mounted read-only", role).isTrue();
        Volume volume = volume(role, mount.getName());
        Secret secret = single(Secret.class, "connection-swap-certs");
        assertThat(volume.getSecret()).as("%s: volume %s is a Secret", role, volume.getName()).isNotNull();
        assertThat(volume.getSecret().getSecretName()).isEqualTo(secret.getMetadata().getName());
        Map<String, String> items = volume.getSecret().getItems().stream()
                .collect(Collectors.toMap(i -> i.getKey(), i -> i.getPath()));
        assertThat(items).as("%s gets the CA and its own certificate and key, nothing else", role)
                .containsOnly(Map.entry("ca.pem", "ca.pem"), Map.entry(role + ".pem", role + ".pem"),
                        Map.entry(role + ".key", role + ".key"));
        assertThat(secret.getData()).containsKeys(items.keySet().toArray(String[]::new));
    }

    @Test
    void theCertificateSecretHoldsTheRepositorysPemFiles() throws IOException {
        Secret secret = single(Secret.class, "connection-swap-certs");
        assertThat(secret.getData()).as("Secret keys").containsOnlyKeys(
                "ca.pem", "director.pem", "director.key", "worker.pem", "worker.key", "client.pem", "client.key");
        for (Map.Entry<String, String> entry : secret.getData().entrySet()) {
            byte[] inSecret = Base64.getMimeDecoder().decode(entry.getValue());
            byte[] inRepository = Files.readAllBytes(Repository.resolve("certs").resolve(entry.getKey()));
            assertThat(inSecret)
                    .as("k8s/certs/%s differs from certs/%s: run k8s/sync-certs.sh", entry.getKey(), entry.getKey())
                    .isEqualTo(inRepository);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"director", "worker", "client"})
    void podsRunLockedDown(String role) throws IOException {
        PodSpec pod = deployment(role).getSpec().getTemplate().getSpec();
        Container container = container(role);
        PodSecurityContext podSecurity = pod.getSecurityContext();
        SecurityContext security = container.getSecurityContext();
        assertThat(podSecurity).as("%s: pod securityContext", role).isNotNull();
        assertThat(security).as("%s: container securityContext", role).isNotNull();

        assertThat(firstNonNull(security.getRunAsNonRoot(), podSecurity.getRunAsNonRoot()))
                .as("%s: runAsNonRoot", role).isTrue();
        assertThat(firstNonNull(security.getRunAsUser(), podSecurity.getRunAsUser()))
                .as("%s: runAsUser (the image's user)", role).isEqualTo(10001L);
        assertThat(security.getReadOnlyRootFilesystem()).as("%s: readOnlyRootFilesystem", role).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).as("%s: allowPrivilegeEscalation", role).isFalse();
        assertThat(security.getCapabilities().getDrop()).as("%s: capabilities dropped", role).contains("ALL");
        assertThat(security.getCapabilities().getAdd()).as("%s: capabilities added", role).isNullOrEmpty();
        assertThat(firstNonNull(security.getSeccompProfile(), podSecurity.getSeccompProfile()).getType())
                .as("%s: seccompProfile", role).isEqualTo("RuntimeDefault");
        assertThat(pod.getAutomountServiceAccountToken()).as("%s: no API token", role).isFalse();

        VolumeMount tmp = container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/tmp"))
                .findFirst().orElseThrow(() -> new AssertionError(role + ": /tmp must be writable (Netty "
                        + "extracts its native QUIC library there) but nothing is mounted there"));
        assertThat(volume(role, tmp.getName()).getEmptyDir()).as("%s: /tmp is an emptyDir", role).isNotNull();

        Map<String, Quantity> requests = container.getResources().getRequests();
        Map<String, Quantity> limits = container.getResources().getLimits();
        assertThat(requests).as("%s: resource requests", role).containsKeys("cpu", "memory");
        assertThat(limits).as("%s: resource limits", role).containsKeys("cpu", "memory");
        assertThat(Quantity.getAmountInBytes(limits.get("memory")))
                .as("%s: memory limit >= request", role)
                .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(requests.get("memory")));

        assertThat(container.getImage()).as("%s: the image docker-compose.yml builds", role)
                .isEqualTo(composeImages().get(role));
        assertThat(container.getImagePullPolicy()).isEqualTo("IfNotPresent");
    }

    @Test
    void theNamespaceEnforcesTheRestrictedPodSecurityStandard() {
        HasMetadata namespace = single(io.fabric8.kubernetes.api.model.Namespace.class, NAMESPACE);
        assertThat(namespace.getMetadata().getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Optional ServiceMonitor
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void theOptionalServiceMonitorScrapesEveryRoleExactlyOnce() throws IOException {
        assertThat(objects).noneMatch(o -> o instanceof ServiceMonitor);

        // an overlay like the one k8s/optional/servicemonitor/kustomization.yaml documents
        Path overlay = Repository.buildDirectory("k8s-overlay-servicemonitor");
        Path k8s = overlay.relativize(Repository.resolve("k8s"));
        Files.writeString(overlay.resolve("kustomization.yaml"), String.join("\n",
                "apiVersion: kustomize.config.k8s.io/v1beta1",
                "kind: Kustomization",
                "resources: [" + k8s + "]",
                "components: [" + k8s.resolve("optional/servicemonitor") + "]",
                ""));
        List<HasMetadata> withMonitor = StrictManifests.parse(kustomize(overlay));
        List<ServiceMonitor> monitors = withMonitor.stream().filter(ServiceMonitor.class::isInstance)
                .map(ServiceMonitor.class::cast).collect(Collectors.toList());
        assertThat(monitors).hasSize(1);
        ServiceMonitor monitor = monitors.get(0);
        assertThat(monitor.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(monitor.getSpec().getNamespaceSelector().getMatchNames()).containsExactly(NAMESPACE);

        List<String> scraped = new ArrayList<>();
        for (Endpoint endpoint : monitor.getSpec().getEndpoints()) {
            assertThat(endpoint.getPath()).isEqualTo(PROMETHEUS);
            for (Service service : all(Service.class)) {
                boolean selected = selects(monitor.getSpec().getSelector(), service.getMetadata().getLabels());
                boolean hasPort = service.getSpec().getPorts().stream()
                        .anyMatch(p -> Objects.equals(p.getName(), endpoint.getPort()));
                if (selected && hasPort) {
                    scraped.add(deploymentSelectedBy(service));
                }
            }
        }
        assertThat(scraped).as("Deployments scraped through the ServiceMonitor")
                .containsExactlyInAnyOrder("director", "worker", "client");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    /** kustomize v5 (kubectl 1.27+) reads the {@code labels} field k8s/ uses; kubectl 1.20's kustomize does not. */
    static void requireRecentKubectl() {
        Path kubectl = ExternalTool.KUBECTL.require(K8sManifestTest.class);
        String json = Command.of(kubectl.toString(), "version", "--client", "-o", "json")
                .timeout(Duration.ofMinutes(1)).runOrFail();
        JsonNode version;
        try {
            version = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("clientVersion");
        } catch (IOException e) {
            throw new IllegalStateException("`kubectl version --client -o json` printed no JSON: " + json, e);
        }
        Matcher minor = Pattern.compile("(\\d+).*").matcher(version.path("minor").asText());
        if (!"1".equals(version.path("major").asText()) || !minor.matches()
                || Integer.parseInt(minor.group(1)) < MIN_KUBECTL_MINOR) {
            throw ExternalTool.KUBECTL.unavailable(K8sManifestTest.class, "kubectl "
                    + version.path("gitVersion").asText("(unknown version)") + " is too old: 1."
                    + MIN_KUBECTL_MINOR + " or newer needed");
        }
    }

    static String kustomize(Path directory) {
        Path kubectl = ExternalTool.KUBECTL.require(K8sManifestTest.class);
        Command.Result result = Command.of(kubectl.toString(), "kustomize", directory.toString())
                .timeout(Duration.ofMinutes(2)).run();
        assertThat(result.exitCode()).as("%s", result.describe()).isZero();
        return result.stdout();
    }

    private static void assertProbe(String role, String which, Probe probe, String path, int serverPort) {
        assertThat(probe).as("%s: %s", role, which).isNotNull();
        assertThat(probe.getHttpGet()).as("%s: %s is an HTTP GET", role, which).isNotNull();
        assertThat(probe.getHttpGet().getPath()).as("%s: %s path", role, which).isEqualTo(path);
        assertThat(resolvePort(container(role), probe.getHttpGet().getPort()))
                .as("%s: %s port is SERVER_PORT", role, which).isEqualTo(serverPort);
    }

    private static void assertService(String name, boolean headless, Map<String, String> ports, String role) {
        Service service = service(name);
        assertThat(service.getSpec().getSelector()).as("%s selector", name).isNotEmpty();
        assertThat(deploymentSelectedBy(service)).as("%s selects", name).isEqualTo(role);
        if (headless) {
            assertThat(service.getSpec().getClusterIP()).as("%s is headless", name).isEqualTo("None");
        } else {
            assertThat(service.getSpec().getClusterIP()).as("%s has a cluster IP", name).isNull();
            assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
        }
        Map<String, String> actual = new LinkedHashMap<>();
        for (ServicePort port : service.getSpec().getPorts()) {
            actual.put(port.getName(), port.getProtocol() + "/" + port.getPort());
            ContainerPort target = container(role).getPorts().stream()
                    .filter(p -> matches(p, port.getTargetPort()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(name + " port " + port.getName() + ": targetPort "
                            + port.getTargetPort() + " is no container port of " + role));
            assertThat(target.getProtocol()).as("%s port %s protocol", name, port.getName())
                    .isEqualTo(port.getProtocol());
            assertThat(target.getContainerPort()).as("%s port %s = container port", name, port.getName())
                    .isEqualTo(port.getPort());
        }
        assertThat(actual).as("%s ports", name).isEqualTo(ports);
    }

    private static String deploymentSelectedBy(Service service) {
        List<String> selected = all(Deployment.class).stream()
                .filter(d -> d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                        .containsAll(service.getSpec().getSelector().entrySet()))
                .map(d -> d.getMetadata().getName())
                .collect(Collectors.toList());
        assertThat(selected).as("Deployments selected by Service %s", service.getMetadata().getName()).hasSize(1);
        return selected.get(0);
    }

    private static boolean selects(LabelSelector selector, Map<String, String> labels) {
        Map<String, String> actual = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null
                && !actual.entrySet().containsAll(selector.getMatchLabels().entrySet())) {
            return false;
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String value = actual.get(r.getKey());
                boolean ok = switch (r.getOperator()) {
                    case "In" -> value != null && r.getValues().contains(value);
                    case "NotIn" -> value == null || !r.getValues().contains(value);
                    case "Exists" -> value != null;
                    case "DoesNotExist" -> value == null;
                    default -> throw new AssertionError("unknown selector operator " + r.getOperator());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean matches(ContainerPort port, IntOrString target) {
        return target.getIntVal() != null ? target.getIntVal().equals(port.getContainerPort())
                : target.getStrVal().equals(port.getName());
    }

    private static int resolvePort(Container container, IntOrString port) {
        return container.getPorts().stream().filter(p -> matches(p, port)).findFirst()
                .map(ContainerPort::getContainerPort)
                .orElseThrow(() -> new AssertionError(container.getName() + ": no container port " + port));
    }

    private static ContainerPort namedPort(Container container, String name) {
        return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + ": no port named " + name));
    }

    private static int servicePort(String service, String portName) {
        return service(service).getSpec().getPorts().stream().filter(p -> portName.equals(p.getName()))
                .findFirst().orElseThrow(() -> new AssertionError(service + ": no port " + portName)).getPort();
    }

    /**
     * The container's environment as the kubelet builds it: the envFrom ConfigMaps first, then {@code env} in
     * order (later entries win). {@code valueFrom} entries show as {@code <fieldRef:path>}; {@code $(VAR)}
     * references are left as written.
     */
    private static Map<String, String> env(String role) {
        Container container = container(role);
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource from : container.getEnvFrom()) {
            assertThat(from.getConfigMapRef()).as("%s: envFrom supports ConfigMaps only here", role).isNotNull();
            ConfigMap map = all(ConfigMap.class).stream()
                    .filter(c -> c.getMetadata().getName().equals(from.getConfigMapRef().getName()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(role + ": envFrom names a ConfigMap that is not rendered: "
                            + from.getConfigMapRef().getName()));
            env.putAll(map.getData());
        }
        for (EnvVar var : container.getEnv()) {
            if (var.getValue() != null) {
                env.put(var.getName(), var.getValue());
            } else if (var.getValueFrom() != null && var.getValueFrom().getFieldRef() != null) {
                env.put(var.getName(), "<fieldRef:" + var.getValueFrom().getFieldRef().getFieldPath() + ">");
            } else {
                throw new AssertionError(role + ": variable " + var.getName() + " has a source these checks do not "
                        + "resolve: " + var.getValueFrom());
            }
        }
        return env;
    }

    private static Deployment deployment(String name) {
        return single(Deployment.class, name);
    }

    private static Service service(String name) {
        return single(Service.class, name);
    }

    private static Container container(String role) {
        List<Container> containers = deployment(role).getSpec().getTemplate().getSpec().getContainers();
        assertThat(containers).as("%s containers", role).hasSize(1);
        assertThat(containers.get(0).getName()).isEqualTo(role);
        return containers.get(0);
    }

    private static Map<String, String> templateLabels(String role) {
        return deployment(role).getSpec().getTemplate().getMetadata().getLabels();
    }

    private static Volume volume(String role, String name) {
        return deployment(role).getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(role + ": no volume " + name));
    }

    private static <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
    }

    /** The one object of that kind whose name (without a generator's hash suffix) is {@code name}. */
    private static <T extends HasMetadata> T single(Class<T> type, String name) {
        List<T> found = all(type).stream().filter(o -> baseName(o).equals(name)).collect(Collectors.toList());
        assertThat(found).as("%s %s", type.getSimpleName(), name).hasSize(1);
        return found.get(0);
    }

    private static String baseName(HasMetadata object) {
        String name = object.getMetadata().getName();
        if (object instanceof ConfigMap || object instanceof Secret) {
            Matcher m = GENERATED.matcher(name);
            if (m.matches()) {
                return m.group(1);
            }
        }
        return name;
    }

    private static String describe(HasMetadata object) {
        return object.getKind() + " " + object.getMetadata().getName();
    }

    private static String hostOf(String hostPort) {
        return hostPort.substring(0, hostPort.lastIndexOf(':'));
    }

    private static int portOf(String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }

    private static <T> T firstNonNull(T first, T second) {
        return first != null ? first : second;
    }

    /** Images docker-compose.yml gives the services: role (director, worker, client) to image. */
    private static Map<String, String> composeImages() throws IOException {
        Matcher m = Pattern.compile("(?m)^\\s*image:\\s*(connection-swap/(director|worker|client):\\S+)\\s*$")
                .matcher(Files.readString(Repository.resolve("docker-compose.yml")));
        Map<String, String> images = new LinkedHashMap<>();
        while (m.find()) {
            String previous = images.put(m.group(2), m.group(1));
            assertThat(previous == null || previous.equals(m.group(1)))
                    .as("docker-compose.yml names one image per role").isTrue();
        }
        assertThat(images).containsOnlyKeys("director", "worker", "client");
        return images;
    }

    /** The DNS subject alternative names of a certificate in certs/. */
    private static Set<String> dnsNames(String file) throws IOException, CertificateException {
        try (InputStream in = Files.newInputStream(Repository.resolve("certs").resolve(file))) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            Set<String> names = new HashSet<>();
            for (List<?> san : cert.getSubjectAlternativeNames()) {
                if (Integer.valueOf(2).equals(san.get(0))) {
                    names.add((String) san.get(1));
                }
            }
            return names;
        }
    }
}
