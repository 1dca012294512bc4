package io.connectionswap.deploy.k8s;

import static io.connectionswap.deploy.k8s.Manifests.hostOf;
import static io.connectionswap.deploy.k8s.Manifests.portOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.connectionswap.deploy.Repository;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ExecAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Lifecycle;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
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
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.Endpoint;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Kubernetes manifests in {@code k8s/}, rendered offline with {@code kubectl kustomize}, parsed strictly into
 * the fabric8 model and checked against what the applications actually read: their Actuator groups, ports,
 * environment variables, certificate directory and drain timeout. Both overlays: {@code k8s} (= the dev overlay,
 * rendered from a copy in which {@code generate-certs.sh} ran) and {@code k8s/overlays/production}. No cluster is
 * needed. Overlay-specific checks: {@link DevOverlayTest}, {@link ProductionOverlayTest},
 * {@link NetworkPolicyTest}, {@link CertManagerComponentTest}.
 */
class K8sManifestTest {

    static final String NAMESPACE = "connection-swap";
    static final String CLUSTER_DOMAIN = NAMESPACE + ".svc.cluster.local";
    static final String CERTS_SECRET = "connection-swap-certs";
    private static final String LIVENESS = "/actuator/health/liveness";
    private static final String READINESS = "/actuator/health/readiness";
    private static final String PROMETHEUS = "/actuator/prometheus";

    private static Manifests dev;
    private static Manifests production;

    @RegisterExtension
    static final RenderOrSkip RENDER = new RenderOrSkip(() -> {
        dev = Kustomize.dev(K8sManifestTest.class);
        production = Kustomize.production(K8sManifestTest.class);
    });

    static Stream<Arguments> overlaysAndRoles() {
        return Stream.of("dev", "production")
                .flatMap(overlay -> Manifests.ROLES.stream().map(role -> Arguments.of(overlay, role)));
    }

    private static Manifests overlay(String name) {
        return name.equals("dev") ? dev : production;
    }

    // ---------------------------------------------------------------------------------------------------------
    // What is rendered
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void rendersTheExpectedObjectsIntoOneNamespace() {
        List<String> common = List.of(
                "Namespace/connection-swap",
                "ConfigMap/connection-swap-env",
                "Deployment/director", "Service/director", "Service/director-headless",
                "StatefulSet/worker", "Service/worker-headless", "PodDisruptionBudget/worker",
                "Deployment/client", "Service/client",
                "NetworkPolicy/default-deny", "NetworkPolicy/dns", "NetworkPolicy/director", "NetworkPolicy/worker",
                "NetworkPolicy/client");
        List<String> devExpected = new ArrayList<>(common);
        devExpected.add("Secret/connection-swap-certs");
        List<String> productionExpected = new ArrayList<>(common);
        productionExpected.addAll(List.of("PodDisruptionBudget/director", "PodDisruptionBudget/client",
                "HorizontalPodAutoscaler/client"));

        assertThat(kindsAndNames(dev)).as("k8s (the dev overlay)").containsExactlyInAnyOrderElementsOf(devExpected);
        assertThat(kindsAndNames(production)).as("k8s/overlays/production")
                .containsExactlyInAnyOrderElementsOf(productionExpected);
        for (Manifests overlay : List.of(dev, production)) {
            assertThat(overlay.objects())
                    .filteredOn(o -> !(o instanceof io.fabric8.kubernetes.api.model.Namespace))
                    .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).as(Manifests.describe(o))
                            .isEqualTo(NAMESPACE));
        }
        assertThat(Manifests.replicas(dev.workload("director"))).isEqualTo(1);
        assertThat(Manifests.replicas(dev.workload("worker"))).isEqualTo(2);
        assertThat(Manifests.replicas(dev.workload("client"))).isEqualTo(1);
    }

    @Test
    void theBaseAloneShipsNoSecret() {
        Manifests base = Kustomize.base(K8sManifestTest.class);
        assertThat(base.all(Secret.class)).as("Secrets in k8s/base").isEmpty();
        assertThat(base.yaml()).doesNotContain("PRIVATE KEY").doesNotContain("BEGIN CERTIFICATE");
    }

    @Test
    void strictParsingRejectsFieldsTheSchemaDoesNotHave() {
        JsonNode worker = StrictManifests.documents(dev.yaml()).stream()
                .filter(d -> d.path("kind").asText().equals("StatefulSet")
                        && d.path("metadata").path("name").asText().equals("worker"))
                .findFirst().orElseThrow();

        ObjectNode misspelledTopLevel = worker.deepCopy();
        ((ObjectNode) misspelledTopLevel.get("spec")).put("replica", 2);
        assertThatThrownBy(() -> StrictManifests.parse(misspelledTopLevel))
                .hasMessageContaining("StatefulSet worker").hasMessageContaining("replica");

        ObjectNode misspelledDeep = worker.deepCopy();
        ((ObjectNode) misspelledDeep.at("/spec/template/spec/containers/0/livenessProbe")).putObject("httpGett");
        assertThatThrownBy(() -> StrictManifests.parse(misspelledDeep))
                .hasMessageContaining("httpGett")
                .hasMessageContaining(".spec.template.spec.containers[0].livenessProbe");

        ObjectNode unknownKind = worker.deepCopy();
        unknownKind.put("kind", "DaemonSet");
        assertThatThrownBy(() -> StrictManifests.parse(unknownKind)).hasMessageContaining("not a kind");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Against each application's own configuration
    // ---------------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("overlaysAndRoles")
    void probesUseTheApplicationsOwnActuatorGroups(String overlay, String role) {
        Manifests m = overlay(overlay);
        ApplicationConfig app = ApplicationConfig.of(role);
        assertThat(app.at("management.endpoint.health.probes.enabled").asBoolean())
                .as("%s: management.endpoint.health.probes.enabled", app.file()).isTrue();
        assertThat(app.at("management.endpoint.health.group.liveness").isObject())
                .as("%s defines the liveness group", app.file()).isTrue();
        assertThat(app.at("management.endpoint.health.group.readiness").isObject())
                .as("%s defines the readiness group", app.file()).isTrue();
        assertThat(app.at("management.endpoints.web.exposure.include").asText().split("\\s*,\\s*"))
                .as("%s exposes", app.file()).contains("health", "prometheus");

        Container container = m.container(role);
        int actuatorPort = m.actuatorPort(role);
        assertProbe(role, "livenessProbe", container, container.getLivenessProbe(), LIVENESS, actuatorPort);
        assertProbe(role, "readinessProbe", container, container.getReadinessProbe(), READINESS, actuatorPort);
        assertProbe(role, "startupProbe", container, container.getStartupProbe(), LIVENESS, actuatorPort);
        Probe startup = container.getStartupProbe();
        assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold())
                .as("%s: seconds a slow JVM start may take before the kubelet restarts it", role)
                .isGreaterThanOrEqualTo(60);
    }

    @ParameterizedTest
    @MethodSource("overlaysAndRoles")
    void containerPortsMatchTheApplicationsEnvironment(String overlay, String role) {
        Manifests m = overlay(overlay);
        Container container = m.container(role);
        Map<String, String> env = m.env(role);
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
            assertThat(m.namedPort(role, "quic").getContainerPort()).isEqualTo(portOf(env.get(bindVariable)));
        }

        if (env.containsKey("MANAGEMENT_SERVER_PORT")) {
            ContainerPort management = m.namedPort(role, "management");
            assertThat(management.getProtocol()).as("%s: port management protocol", role).isEqualTo("TCP");
            assertThat(management.getContainerPort()).as("%s: port management = MANAGEMENT_SERVER_PORT", role)
                    .isEqualTo(m.actuatorPort(role));
        }

        Map<String, String> annotations = m.template(role).getMetadata().getAnnotations();
        assertThat(annotations)
                .as("%s: Prometheus scrape annotations (the Actuator port)", role)
                .containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", String.valueOf(m.actuatorPort(role)))
                .containsEntry("prometheus.io/path", PROMETHEUS);
    }

    /**
     * The gateway's port is open to every source and its API keys guard only {@code /v1} and {@code /api}, so
     * Actuator (health details with the director's address, info, the SBOM, metrics) must not be served there:
     * it gets a port of its own, like the director's and the workers', which only Prometheus reaches
     * ({@link NetworkPolicyTest}).
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void theGatewaysActuatorHasAPortOfItsOwn(String overlay) {
        Manifests m = overlay(overlay);
        Map<String, String> env = m.env("client");
        assertThat(env).as("client: MANAGEMENT_SERVER_PORT").containsKey("MANAGEMENT_SERVER_PORT");
        int gateway = Integer.parseInt(env.get("SERVER_PORT"));
        int actuator = m.actuatorPort("client");
        assertThat(actuator).as("client: Actuator's port is not the gateway's").isNotEqualTo(gateway);
        assertThat(m.namedPort("client", "http").getContainerPort()).isEqualTo(gateway);
        assertThat(m.namedPort("client", "management").getContainerPort()).isEqualTo(actuator);
        Container client = m.container("client");
        for (Probe probe : List.of(client.getStartupProbe(), client.getLivenessProbe(), client.getReadinessProbe())) {
            assertThat(probe.getHttpGet().getPort()).as("client: probes use the management port")
                    .isEqualTo(new IntOrString("management"));
        }
        assertThat(m.servicePort("client", "http")).isEqualTo(gateway);
        assertThat(m.targetOf("client", m.servicePort("client", "management")).getContainerPort())
                .as("Service client port management leads to Actuator").isEqualTo(actuator);
    }

    @ParameterizedTest
    @MethodSource("overlaysAndRoles")
    void everyVariableSetForARoleIsOneThatRoleReads(String overlay, String role) {
        ApplicationConfig app = ApplicationConfig.of(role);
        List<String> unread = overlay(overlay).container(role).getEnv().stream()
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
        ConfigMap shared = dev.single(ConfigMap.class, "connection-swap-env");
        Set<String> readBySomeRole = new TreeSet<>();
        for (String role : Manifests.ROLES) {
            readBySomeRole.addAll(ApplicationConfig.of(role).variables().keySet());
            assertThat(dev.container(role).getEnvFrom())
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
        assertService("client", false, Map.of("http", "TCP/8090", "management", "TCP/8091"), "client");
        assertThat(dev.service("worker-headless").getSpec().getPublishNotReadyAddresses())
                .as("worker-headless lists starting and draining workers; the director health-checks them itself")
                .isTrue();
    }

    @Test
    void addressesNameServicesThatExistAndCertificatesThatCoverThem() throws Exception {
        Map<String, String> director = dev.env("director");
        Map<String, String> worker = dev.env("worker");
        Map<String, String> client = dev.env("client");
        // the names in the certificates the dev overlay's script made (from certs/generate.sh)
        Path pki = Kustomize.devCopy(K8sManifestTest.class).resolve(Kustomize.DEV_PKI);
        Set<String> directorNames = Pem.dnsNames(Pem.certificate(pki.resolve("director.pem")));
        Set<String> workerNames = Pem.dnsNames(Pem.certificate(pki.resolve("worker.pem")));

        // workers register with every director replica through the headless Service
        assertThat(worker.get("CONNECTION_SWAP_DIRECTOR_TARGET"))
                .isEqualTo("director-headless." + CLUSTER_DOMAIN + ":" + dev.servicePort("director-headless", "quic"));
        assertThat(directorNames).contains(hostOf(worker.get("CONNECTION_SWAP_DIRECTOR_TARGET")));
        // clients reach one replica through the ClusterIP Service and verify the name "director"
        assertThat(client.get("CONNECTION_SWAP_DIRECTOR_TARGET"))
                .isEqualTo("director." + CLUSTER_DOMAIN + ":" + dev.servicePort("director", "quic"));
        assertThat(directorNames).contains(client.get("CONNECTION_SWAP_DIRECTOR_TLS_NAME"),
                hostOf(client.get("CONNECTION_SWAP_DIRECTOR_TARGET")));
        // the director finds every worker pod behind worker-headless and verifies one name on all of them
        assertThat(director.get("CONNECTION_SWAP_DISCOVERY_DNS"))
                .isEqualTo("worker-headless." + CLUSTER_DOMAIN + ":" + dev.servicePort("worker-headless", "quic"));
        assertThat(portOf(director.get("CONNECTION_SWAP_DISCOVERY_DNS")))
                .isEqualTo(dev.namedPort("worker", "quic").getContainerPort());
        assertThat(director.get("CONNECTION_SWAP_DISCOVERY_HEALTH_PORT")).isEqualTo(worker.get("SERVER_PORT"));
        assertThat(workerNames).contains(director.get("CONNECTION_SWAP_WORKER_TLS_NAME"));
        assertThat(director.get("CONNECTION_SWAP_HEALTH_INTERVAL")).isEqualTo("500ms");

        // a worker advertises its pod IP; Kubernetes expands $(POD_IP) only if POD_IP is defined earlier
        List<String> workerEnvOrder = dev.container("worker").getEnv().stream().map(EnvVar::getName)
                .collect(Collectors.toList());
        EnvVar podIp = dev.container("worker").getEnv().stream().filter(e -> e.getName().equals("POD_IP"))
                .findFirst().orElseThrow(() -> new AssertionError("worker: no POD_IP variable"));
        assertThat(podIp.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
        int workerQuic = dev.namedPort("worker", "quic").getContainerPort();
        assertThat(worker.get("CONNECTION_SWAP_WORKER_ADVERTISE")).isEqualTo("$(POD_IP):" + workerQuic);
        // the health URL is left to the worker, which derives it from the advertised address (IPv6 in brackets):
        // http://$(POD_IP):8081/... has no host when the pod IP is IPv6, and every director refused the registration
        assertThat(worker).doesNotContainKey("CONNECTION_SWAP_WORKER_ADVERTISE_HEALTH_URL");
        assertThat(workerEnvOrder.indexOf("POD_IP")).as("POD_IP defined before CONNECTION_SWAP_WORKER_ADVERTISE")
                .isLessThan(workerEnvOrder.indexOf("CONNECTION_SWAP_WORKER_ADVERTISE"));
    }

    /**
     * The worker label is the pod name, and a StatefulSet's pod names are worker-0 .. worker-(N-1) whatever the
     * rollout: the label takes at most as many values as there ever were replicas.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void workerLabelsStayTheSameAcrossRollouts(String overlay) {
        Manifests m = overlay(overlay);
        assertThat(m.workload("worker")).as("workers are a StatefulSet (stable pod names)")
                .isInstanceOf(StatefulSet.class);
        StatefulSet workers = (StatefulSet) m.workload("worker");
        EnvVar label = m.container("worker").getEnv().stream()
                .filter(e -> e.getName().equals("CONNECTION_SWAP_WORKER_LABEL")).findFirst()
                .orElseThrow(() -> new AssertionError("worker: CONNECTION_SWAP_WORKER_LABEL is not set"));
        assertThat(label.getValueFrom().getFieldRef().getFieldPath())
                .as("the label is the pod name: worker-<ordinal>").isEqualTo("metadata.name");
        Service governing = m.service(workers.getSpec().getServiceName());
        assertThat(governing.getSpec().getClusterIP()).as("the StatefulSet's serviceName is headless")
                .isEqualTo("None");
        assertThat(m.workloadSelectedBy(governing)).isEqualTo("worker");
        assertThat(workers.getSpec().getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(workers.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
        assertThat(workers.getSpec().getVolumeClaimTemplates()).as("workers keep no state").isNullOrEmpty();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Lifecycle, certificates, security
    // ---------------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void workersGetMoreTimeToStopThanTheirDrainTakes(String overlay) {
        Manifests m = overlay(overlay);
        String drain = setting(m, "worker", "CONNECTION_SWAP_DRAIN_TIMEOUT");
        long grace = m.pod("worker").getTerminationGracePeriodSeconds();
        assertThat(Duration.ofSeconds(grace))
                .as("worker terminationGracePeriodSeconds vs CONNECTION_SWAP_DRAIN_TIMEOUT=%s, the connection closes "
                        + "and the exit", drain)
                .isGreaterThan(WorkerStop.longest(ApplicationConfig.duration(drain)));
    }

    /**
     * SIGTERM starts the director's drain at once: GOAWAY, RETRY at the last token, and each client connection closed
     * as soon as its generations have moved (within milliseconds). A client with one address (the Service) then dials
     * it again, while the endpoint controller and every node's proxy may still send the new flow to this terminating
     * pod: it lands on the draining director, is closed at the drain's end, and dials once more into a socket that is
     * gone (a handshake timeout, then backoff) instead of the ready replica. A pause first lets the Service drop the
     * endpoint while the director still serves everything, as the gateway does for its HTTP clients.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void theDirectorPausesBeforeItDrainsAndHasTimeForBoth(String overlay) {
        Manifests m = overlay(overlay);
        Duration pause = preStopPause(m, "director");
        String drain = setting(m, "director", "CONNECTION_SWAP_DIRECTOR_DRAIN_TIMEOUT");
        Duration grace = Duration.ofSeconds(m.pod("director").getTerminationGracePeriodSeconds());
        assertThat(grace)
                .as("director terminationGracePeriodSeconds vs preStop %s + CONNECTION_SWAP_DIRECTOR_DRAIN_TIMEOUT=%s",
                        pause, drain)
                .isGreaterThan(pause.plus(ApplicationConfig.duration(drain)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void theGatewayPausesBeforeItStopsAndHasTimeToFinishItsStreams(String overlay) {
        Manifests m = overlay(overlay);
        Duration pause = preStopPause(m, "client");
        String phase = ApplicationConfig.of("client").at("spring.lifecycle.timeout-per-shutdown-phase").asText();
        Duration grace = Duration.ofSeconds(m.pod("client").getTerminationGracePeriodSeconds());
        assertThat(grace).as("gateway terminationGracePeriodSeconds vs preStop %s + shutdown phase %s", pause, phase)
                .isGreaterThan(pause.plus(ApplicationConfig.duration(phase)));
    }

    /** The role's preStop hook, which must be {@code sleep <seconds>}: a pause while the Service drops the endpoint. */
    private static Duration preStopPause(Manifests m, String role) {
        List<String> preStop = Optional.ofNullable(m.container(role).getLifecycle()).map(Lifecycle::getPreStop)
                .map(LifecycleHandler::getExec).map(ExecAction::getCommand).orElse(List.of());
        assertThat(preStop).as("%s preStop: a pause while the Service drops the endpoint", role).hasSize(2)
                .first().isEqualTo("sleep");
        return Duration.ofSeconds(Long.parseLong(preStop.get(1)));
    }

    @Test
    void workersHaveADisruptionBudget() {
        PodDisruptionBudget pdb = dev.single(PodDisruptionBudget.class, "worker");
        assertThat(pdb.getSpec().getMinAvailable()).isEqualTo(new IntOrString(1));
        assertThat(Manifests.selects(pdb.getSpec().getSelector(), dev.templateLabels("worker"))).isTrue();
        assertThat(Manifests.selects(pdb.getSpec().getSelector(), dev.templateLabels("director"))).isFalse();
        assertThat(Manifests.replicas(dev.workload("worker"))).isGreaterThan(1);
    }

    @ParameterizedTest
    @MethodSource("overlaysAndRoles")
    void certificatesAreMountedWhereTheApplicationReadsThem(String overlay, String role) {
        Manifests m = overlay(overlay);
        String certsDir = m.env(role).get("CONNECTION_SWAP_CERTS_DIR");
        assertThat(certsDir).as("%s: CONNECTION_SWAP_CERTS_DIR", role).isNotBlank();
        VolumeMount mount = m.container(role).getVolumeMounts().stream()
                .filter(v -> v.getMountPath().equals(certsDir)).findFirst()
                .orElseThrow(() -> new AssertionError(role + ": nothing mounted at CONNECTION_SWAP_CERTS_DIR="
                        + certsDir));
        assertThat(mount.getReadOnly()).as("%s: certificates mounted read-only", role).isTrue();
        Volume volume = m.volume(role, mount.getName());
        assertThat(volume.getSecret()).as("%s: volume %s is a Secret", role, volume.getName()).isNotNull();
        Map<String, String> items = volume.getSecret().getItems().stream()
                .collect(Collectors.toMap(i -> i.getKey(), i -> i.getPath()));
        assertThat(items).as("%s gets the CA and its own certificate and key, nothing else", role)
                .containsOnly(Map.entry("ca.pem", "ca.pem"), Map.entry(role + ".pem", role + ".pem"),
                        Map.entry(role + ".key", role + ".key"));
        if (overlay.equals("dev")) {
            Secret secret = m.single(Secret.class, CERTS_SECRET);
            assertThat(volume.getSecret().getSecretName()).isEqualTo(secret.getMetadata().getName());
            assertThat(secret.getData()).containsKeys(items.keySet().toArray(String[]::new));
        } else {
            assertThat(volume.getSecret().getSecretName())
                    .as("production: the Secret the operator creates, under its plain name").isEqualTo(CERTS_SECRET);
        }
    }

    @ParameterizedTest
    @MethodSource("overlaysAndRoles")
    void podsRunLockedDown(String overlay, String role) throws IOException {
        Manifests m = overlay(overlay);
        PodSpec pod = m.pod(role);
        Container container = m.container(role);
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

        VolumeMount tmp = container.getVolumeMounts().stream().filter(v -> v.getMountPath().equals("/tmp"))
                .findFirst().orElseThrow(() -> new AssertionError(role + ": /tmp must be writable (Netty "
                        + "extracts its native QUIC library there) but nothing is mounted there"));
        assertThat(m.volume(role, tmp.getName()).getEmptyDir()).as("%s: /tmp is an emptyDir", role).isNotNull();

        Map<String, Quantity> requests = container.getResources().getRequests();
        Map<String, Quantity> limits = container.getResources().getLimits();
        assertThat(requests).as("%s: resource requests", role).containsKeys("cpu", "memory");
        assertThat(limits).as("%s: resource limits", role).containsKeys("cpu", "memory");
        assertThat(Quantity.getAmountInBytes(limits.get("memory")))
                .as("%s: memory limit >= request", role)
                .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(requests.get("memory")));

        String composeImage = composeImages().get(role);
        if (overlay.equals("dev")) {
            assertThat(container.getImage()).as("%s: the image docker-compose.yml builds", role)
                    .isEqualTo(composeImage);
        } else {
            String repository = composeImage.substring(0, composeImage.lastIndexOf(':'));
            assertThat(container.getImage()).as("%s: production pulls a versioned image from a registry", role)
                    .matches("[a-z0-9.-]+(:[0-9]+)?/(.+/)?" + Pattern.quote(repository) + ":[A-Za-z0-9_.-]+")
                    .doesNotEndWith(":local").doesNotEndWith(":latest");
        }
        assertThat(container.getImagePullPolicy()).isEqualTo("IfNotPresent");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void theNamespaceEnforcesTheRestrictedPodSecurityStandard(String overlay) {
        HasMetadata namespace = overlay(overlay).single(io.fabric8.kubernetes.api.model.Namespace.class, NAMESPACE);
        assertThat(namespace.getMetadata().getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Optional ServiceMonitor
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void theOptionalServiceMonitorsScrapeEveryRoleExactlyOnceOnItsActuatorPort() {
        assertThat(dev.objects()).noneMatch(o -> o instanceof ServiceMonitor);
        assertThat(production.objects()).noneMatch(o -> o instanceof ServiceMonitor);

        // an overlay like the one k8s/optional/servicemonitor/kustomization.yaml documents
        Path overlay = Kustomize.overlay("k8s-overlay-servicemonitor", Repository.resolve("k8s/overlays/production"),
                Repository.resolve("k8s/optional/servicemonitor"));
        Manifests withMonitor = Manifests.parse(Kustomize.render(overlay));
        List<ServiceMonitor> monitors = withMonitor.all(ServiceMonitor.class);
        assertThat(monitors).extracting(o -> o.getMetadata().getName())
                .containsExactlyInAnyOrder("connection-swap", "connection-swap-client");

        List<String> scraped = new ArrayList<>();
        for (ServiceMonitor monitor : monitors) {
            assertThat(monitor.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
            assertThat(monitor.getSpec().getNamespaceSelector().getMatchNames()).containsExactly(NAMESPACE);
            for (Endpoint endpoint : monitor.getSpec().getEndpoints()) {
                assertThat(endpoint.getPath()).isEqualTo(PROMETHEUS);
                for (Service service : withMonitor.all(Service.class)) {
                    boolean selected = Manifests.selects(monitor.getSpec().getSelector(),
                            service.getMetadata().getLabels());
                    // the Operator keeps only the Service ports named as the endpoint's port; none: no target
                    Optional<ServicePort> port = service.getSpec().getPorts().stream()
                            .filter(p -> Objects.equals(p.getName(), endpoint.getPort())).findFirst();
                    if (selected && port.isPresent()) {
                        String role = withMonitor.workloadSelectedBy(service);
                        scraped.add(role);
                        assertThat(withMonitor.targetOf(service.getMetadata().getName(), port.get().getPort())
                                .getContainerPort())
                                .as("ServiceMonitor %s scrapes Service %s port %s: %s's Actuator port",
                                        monitor.getMetadata().getName(), service.getMetadata().getName(),
                                        endpoint.getPort(), role)
                                .isEqualTo(withMonitor.actuatorPort(role));
                    }
                }
            }
        }
        assertThat(scraped).as("workloads scraped through the ServiceMonitors")
                .containsExactlyInAnyOrder("director", "worker", "client");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    private static List<String> kindsAndNames(Manifests m) {
        return m.objects().stream().map(o -> o.getKind() + "/" + Manifests.baseName(o)).collect(Collectors.toList());
    }

    private static void assertProbe(String role, String which, Container container, Probe probe, String path,
            int actuatorPort) {
        assertThat(probe).as("%s: %s", role, which).isNotNull();
        assertThat(probe.getHttpGet()).as("%s: %s is an HTTP GET", role, which).isNotNull();
        assertThat(probe.getHttpGet().getPath()).as("%s: %s path", role, which).isEqualTo(path);
        int port = container.getPorts().stream().filter(p -> Manifests.matches(p, probe.getHttpGet().getPort()))
                .findFirst().map(ContainerPort::getContainerPort)
                .orElseThrow(() -> new AssertionError(role + ": no container port " + probe.getHttpGet().getPort()));
        assertThat(port).as("%s: %s port is the Actuator port", role, which).isEqualTo(actuatorPort);
    }

    private static void assertService(String name, boolean headless, Map<String, String> ports, String role) {
        Service service = dev.service(name);
        assertThat(service.getSpec().getSelector()).as("%s selector", name).isNotEmpty();
        assertThat(dev.workloadSelectedBy(service)).as("%s selects", name).isEqualTo(role);
        if (headless) {
            assertThat(service.getSpec().getClusterIP()).as("%s is headless", name).isEqualTo("None");
        } else {
            assertThat(service.getSpec().getClusterIP()).as("%s has a cluster IP", name).isNull();
            assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
        }
        Map<String, String> actual = new LinkedHashMap<>();
        for (ServicePort port : service.getSpec().getPorts()) {
            actual.put(port.getName(), port.getProtocol() + "/" + port.getPort());
            ContainerPort target = dev.targetOf(name, port.getPort());
            assertThat(target.getProtocol()).as("%s port %s protocol", name, port.getName())
                    .isEqualTo(port.getProtocol());
            assertThat(target.getContainerPort()).as("%s port %s = container port", name, port.getName())
                    .isEqualTo(port.getPort());
        }
        assertThat(actual).as("%s ports", name).isEqualTo(ports);
    }

    private static <T> T firstNonNull(T first, T second) {
        return first != null ? first : second;
    }

    /** Images docker-compose.yml gives the services: role (director, worker, client) to image. */
    static Map<String, String> composeImages() throws IOException {
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

    /** {@code variable} of {@code role}'s pods: as the manifest sets it, or its default in the role's configuration. */
    private static String setting(Manifests m, String role, String variable) {
        ApplicationConfig app = ApplicationConfig.of(role);
        String value = m.env(role).getOrDefault(variable, app.defaultOf(variable));
        assertThat(value).as("%s (manifest or %s default)", variable, app.file()).isNotNull();
        return value;
    }
}
