package io.connectionswap.deploy.k8s;

import static io.connectionswap.deploy.k8s.K8sManifestTest.NAMESPACE;
import static io.connectionswap.deploy.k8s.Manifests.hostOf;
import static io.connectionswap.deploy.k8s.Manifests.portOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.deploy.k8s.NetworkPolicies.Endpoint;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The base's NetworkPolicies, in both overlays, evaluated for the connections the services make (derived from
 * their environment, Services and containers) and for the ones they must not be able to make. The Prometheus
 * and DNS peers are the defaults the policy file documents as to adapt.
 */
class NetworkPolicyTest {

    private static final String UDP = "UDP";
    private static final String TCP = "TCP";

    private static Manifests dev;
    private static Manifests production;

    @RegisterExtension
    static final RenderOrSkip RENDER = new RenderOrSkip(() -> {
        dev = Kustomize.dev(NetworkPolicyTest.class);
        production = Kustomize.production(NetworkPolicyTest.class);
    });

    /** The pods of one overlay and of the world around it. */
    private record World(Manifests m, NetworkPolicies policies, Map<String, Endpoint> pods) {

        static World of(Manifests m) {
            Map<String, String> namespaceLabels = new HashMap<>(
                    m.single(Namespace.class, NAMESPACE).getMetadata().getLabels());
            namespaceLabels.put("kubernetes.io/metadata.name", NAMESPACE);   // set by the API server
            Map<String, Endpoint> pods = new HashMap<>();
            for (String role : Manifests.ROLES) {
                pods.put(role, new Endpoint(role, NAMESPACE, namespaceLabels, m.templateLabels(role),
                        m.container(role).getPorts()));
            }
            pods.put("prometheus", Endpoint.pod("prometheus", "monitoring",
                    Map.of("app.kubernetes.io/name", "prometheus"), List.of(port(TCP, 9090))));
            pods.put("kube-dns", Endpoint.pod("kube-dns", "kube-system", Map.of("k8s-app", "kube-dns"),
                    List.of(port(UDP, 53), port(TCP, 53), port(TCP, 9153))));
            pods.put("other-namespace", Endpoint.pod("a pod in namespace default", "default",
                    Map.of("app", "curl"), List.of(port(TCP, 8080))));
            pods.put("debug", new Endpoint("a debug pod in " + NAMESPACE, NAMESPACE, namespaceLabels,
                    Map.of("app", "debug"), List.of(port(TCP, 8080))));
            pods.put("outside", Endpoint.outside("a host outside the cluster"));
            return new World(m, new NetworkPolicies(m.all(NetworkPolicy.class)), pods);
        }

        Endpoint pod(String name) {
            return pods.get(name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void everyConnectionTheServicesMakeIsAllowed(String overlay) {
        World w = World.of(overlay.equals("dev") ? dev : production);
        Manifests m = w.m();
        Map<String, String> client = m.env("client");
        Map<String, String> worker = m.env("worker");
        Map<String, String> director = m.env("director");

        List<String> denied = new ArrayList<>();
        // the gateway's QUIC connection: through the Service it dials, to the director container port behind it
        String clientTarget = client.get("CONNECTION_SWAP_DIRECTOR_TARGET");
        ContainerPort directorQuic = m.targetOf(serviceOf(clientTarget), portOf(clientTarget));
        check(w, denied, "client", "director", directorQuic.getProtocol(), directorQuic.getContainerPort());
        // worker registration, through director-headless
        String workerTarget = worker.get("CONNECTION_SWAP_DIRECTOR_TARGET");
        ContainerPort registration = m.targetOf(serviceOf(workerTarget), portOf(workerTarget));
        check(w, denied, "worker", "director", registration.getProtocol(), registration.getContainerPort());
        // the director dials every worker found through DNS, and what each worker advertises
        String discovery = director.get("CONNECTION_SWAP_DISCOVERY_DNS");
        ContainerPort workerQuic = m.targetOf(serviceOf(discovery), portOf(discovery));
        check(w, denied, "director", "worker", workerQuic.getProtocol(), workerQuic.getContainerPort());
        check(w, denied, "director", "worker", UDP, portOf(worker.get("CONNECTION_SWAP_WORKER_ADVERTISE")));
        // ... and polls its health
        check(w, denied, "director", "worker", TCP,
                Integer.parseInt(director.get("CONNECTION_SWAP_DISCOVERY_HEALTH_PORT")));
        check(w, denied, "director", "worker", TCP, Integer.parseInt(worker.get("SERVER_PORT"))); // its health URL's
        // the gateway, from anywhere
        check(w, denied, "outside", "client", TCP, Integer.parseInt(client.get("SERVER_PORT")));
        check(w, denied, "other-namespace", "client", TCP, Integer.parseInt(client.get("SERVER_PORT")));
        for (String role : Manifests.ROLES) {
            // Prometheus scrapes the port each pod announces, and Actuator's (K8sManifestTest: the same)
            int scrape = Integer.parseInt(m.template(role).getMetadata().getAnnotations().get("prometheus.io/port"));
            check(w, denied, "prometheus", role, TCP, scrape);
            check(w, denied, "prometheus", role, TCP, m.actuatorPort(role));
            // and every pod resolves Service names
            check(w, denied, role, "kube-dns", UDP, 53);
            check(w, denied, role, "kube-dns", TCP, 53);
        }
        assertThat(denied).as("%s: connections the services need but the NetworkPolicies drop", overlay).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void nothingElseIsAllowed(String overlay) {
        World w = World.of(overlay.equals("dev") ? dev : production);
        int directorQuic = w.m().namedPort("director", "quic").getContainerPort();
        int directorHttp = w.m().namedPort("director", "http").getContainerPort();
        int workerQuic = w.m().namedPort("worker", "quic").getContainerPort();
        int workerHttp = w.m().namedPort("worker", "http").getContainerPort();
        int gateway = w.m().namedPort("client", "http").getContainerPort();
        // the gateway's Actuator: health details (the director's address), info, SBOM; Prometheus only
        int gatewayActuator = w.m().actuatorPort("client");
        assertThat(gatewayActuator).as("the gateway's Actuator has a port of its own").isNotEqualTo(gateway);

        List<String> allowed = new ArrayList<>();
        for (String stranger : List.of("outside", "other-namespace", "debug")) {
            forbid(w, allowed, stranger, "director", UDP, directorQuic);
            forbid(w, allowed, stranger, "director", TCP, directorHttp);
            forbid(w, allowed, stranger, "worker", UDP, workerQuic);
            forbid(w, allowed, stranger, "worker", TCP, workerHttp);
            forbid(w, allowed, stranger, "client", TCP, gatewayActuator);
        }
        forbid(w, allowed, "client", "worker", UDP, workerQuic);
        forbid(w, allowed, "client", "worker", TCP, workerHttp);
        forbid(w, allowed, "client", "director", TCP, directorHttp);
        forbid(w, allowed, "worker", "worker", UDP, workerQuic);
        forbid(w, allowed, "worker", "director", TCP, directorHttp);
        forbid(w, allowed, "worker", "client", TCP, gateway);
        forbid(w, allowed, "director", "client", TCP, gateway);
        forbid(w, allowed, "director", "client", TCP, gatewayActuator);
        forbid(w, allowed, "worker", "client", TCP, gatewayActuator);
        forbid(w, allowed, "director", "director", UDP, directorQuic);
        forbid(w, allowed, "prometheus", "director", UDP, directorQuic);
        forbid(w, allowed, "prometheus", "worker", UDP, workerQuic);
        for (String role : Manifests.ROLES) {
            forbid(w, allowed, role, "outside", TCP, 443);
            forbid(w, allowed, role, "outside", UDP, 443);
            forbid(w, allowed, role, "prometheus", TCP, 9090);
            forbid(w, allowed, role, "kube-dns", TCP, 9153);
            forbid(w, allowed, role, "other-namespace", TCP, 8080);
            forbid(w, allowed, role, "debug", TCP, 8080);
        }
        assertThat(allowed).as("%s: connections the NetworkPolicies let through but nothing needs", overlay)
                .isEmpty();
    }

    @Test
    void everyPolicyPortIsAContainerPortAndEverySelectorSelectsAWorkload() {
        List<String> problems = new ArrayList<>();
        List<NetworkPolicy> policies = production.all(NetworkPolicy.class);
        for (NetworkPolicy policy : policies) {
            String name = policy.getMetadata().getName();
            List<String> selected = selectedRoles(policy.getSpec().getPodSelector());
            var podSelector = policy.getSpec().getPodSelector();
            boolean everyPod = (podSelector.getMatchLabels() == null || podSelector.getMatchLabels().isEmpty())
                    && (podSelector.getMatchExpressions() == null || podSelector.getMatchExpressions().isEmpty());
            if (!everyPod && selected.size() != 1) {
                problems.add(name + " selects " + selected + " (expected one role)");
            }
            if (policy.getSpec().getIngress() != null) {
                for (var rule : policy.getSpec().getIngress()) {
                    problems.addAll(peersSelectWorkloads(name, rule.getFrom()));
                    for (String role : selected) {
                        problems.addAll(portsExist(name + " ingress", role, rule.getPorts()));
                    }
                }
            }
            if (policy.getSpec().getEgress() != null) {
                for (var rule : policy.getSpec().getEgress()) {
                    problems.addAll(peersSelectWorkloads(name, rule.getTo()));
                    for (NetworkPolicyPeer peer : rule.getTo()) {
                        if (peer.getNamespaceSelector() == null && peer.getPodSelector() != null) {
                            for (String role : selectedRoles(peer.getPodSelector())) {
                                problems.addAll(portsExist(name + " egress", role, rule.getPorts()));
                            }
                        }
                    }
                }
            }
        }
        assertThat(problems).isEmpty();

        NetworkPolicy deny = production.single(NetworkPolicy.class, "default-deny");
        assertThat(deny.getSpec().getPodSelector().getMatchLabels()).as("default-deny selects every pod")
                .isNullOrEmpty();
        assertThat(deny.getSpec().getPodSelector().getMatchExpressions()).isNullOrEmpty();
        assertThat(deny.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(deny.getSpec().getIngress()).isNullOrEmpty();
        assertThat(deny.getSpec().getEgress()).isNullOrEmpty();
        assertThat(dev.all(NetworkPolicy.class)).as("dev and production share the base's policies")
                .containsExactlyInAnyOrderElementsOf(policies);
    }

    private static List<String> selectedRoles(io.fabric8.kubernetes.api.model.LabelSelector selector) {
        return Manifests.ROLES.stream().filter(r -> Manifests.selects(selector, production.templateLabels(r)))
                .collect(Collectors.toList());
    }

    /** A pod selector without a namespace selector means pods of this namespace: it must match a workload. */
    private static List<String> peersSelectWorkloads(String policy, List<NetworkPolicyPeer> peers) {
        List<String> problems = new ArrayList<>();
        for (NetworkPolicyPeer peer : peers == null ? List.<NetworkPolicyPeer>of() : peers) {
            if (peer.getNamespaceSelector() == null && peer.getPodSelector() != null
                    && selectedRoles(peer.getPodSelector()).isEmpty()) {
                problems.add(policy + ": peer " + peer.getPodSelector().getMatchLabels() + " selects no pod here");
            }
        }
        return problems;
    }

    private static List<String> portsExist(String where, String role, List<NetworkPolicyPort> ports) {
        List<String> problems = new ArrayList<>();
        for (NetworkPolicyPort p : ports == null ? List.<NetworkPolicyPort>of() : ports) {
            String protocol = p.getProtocol() == null ? TCP : p.getProtocol();
            boolean exists = production.container(role).getPorts().stream().anyMatch(c -> protocol.equals(
                    c.getProtocol()) && (p.getPort().getIntVal() != null
                    ? p.getPort().getIntVal().equals(c.getContainerPort()) : p.getPort().getStrVal().equals(c.getName())));
            if (!exists) {
                problems.add(where + ": " + protocol + " " + p.getPort() + " is no container port of " + role);
            }
        }
        return problems;
    }

    private static void check(World w, List<String> denied, String from, String to, String protocol, int port) {
        if (!w.policies().allows(w.pod(from), w.pod(to), protocol, port)) {
            denied.add(w.pod(from) + " -> " + w.pod(to) + " " + protocol + "/" + port);
        }
    }

    private static void forbid(World w, List<String> allowed, String from, String to, String protocol, int port) {
        if (w.policies().allows(w.pod(from), w.pod(to), protocol, port)) {
            allowed.add(w.pod(from) + " -> " + w.pod(to) + " " + protocol + "/" + port);
        }
    }

    /** {@code director.connection-swap.svc.cluster.local:61000} -> {@code director}. */
    private static String serviceOf(String hostPort) {
        String host = hostOf(hostPort);
        assertThat(host).as("%s names a Service of namespace %s", hostPort, NAMESPACE)
                .endsWith("." + K8sManifestTest.CLUSTER_DOMAIN);
        return host.substring(0, host.indexOf('.'));
    }

    private static ContainerPort port(String protocol, int number) {
        return new ContainerPortBuilder().withProtocol(protocol).withContainerPort(number).build();
    }
}
