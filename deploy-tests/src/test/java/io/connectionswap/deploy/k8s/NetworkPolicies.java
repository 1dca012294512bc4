package io.connectionswap.deploy.k8s;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Evaluates a set of NetworkPolicies the way the Kubernetes API defines them (networking.k8s.io/v1), for one
 * connection between two endpoints:
 * <ul>
 *   <li>a pod is isolated for ingress (egress) once any policy of its namespace selects it with that policy
 *       type; then only what some such policy's rules allow gets through, and nothing is denied explicitly;</li>
 *   <li>a rule's peers: none means every source (destination); a pod selector alone means pods of the policy's
 *       namespace; a namespace selector means pods of the namespaces it selects; both means both;</li>
 *   <li>a rule's ports: none means every port; a port without a number means every port of that protocol
 *       (TCP when none is given); a named port is the destination container's port of that name.</li>
 * </ul>
 * A connection is allowed when the source's egress and the destination's ingress both allow it. Endpoints outside
 * the cluster are never isolated and match only rules without peers or with an ipBlock; ipBlocks are treated as
 * matching no endpoint (none of the policies under test uses one).
 */
record NetworkPolicies(List<NetworkPolicy> policies) {

    /** A pod (namespace, its labels, the pod's labels and container ports) or, with namespace null, an outsider. */
    record Endpoint(String name, String namespace, Map<String, String> namespaceLabels, Map<String, String> labels,
                    List<ContainerPort> ports) {

        static Endpoint pod(String name, String namespace, Map<String, String> labels, List<ContainerPort> ports) {
            return new Endpoint(name, namespace, Map.of("kubernetes.io/metadata.name", namespace), labels, ports);
        }

        static Endpoint outside(String name) {
            return new Endpoint(name, null, Map.of(), Map.of(), List.of());
        }

        boolean isPod() {
            return namespace != null;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    boolean allows(Endpoint from, Endpoint to, String protocol, int port) {
        return egressAllows(from, to, protocol, port) && ingressAllows(from, to, protocol, port);
    }

    boolean ingressAllows(Endpoint from, Endpoint to, String protocol, int port) {
        return allowedBy(to, "Ingress", policy -> policy.getSpec().getIngress().stream()
                .anyMatch(rule -> peersMatch(rule.getFrom(), from, policy) && portsMatch(rule.getPorts(), to,
                        protocol, port)));
    }

    boolean egressAllows(Endpoint from, Endpoint to, String protocol, int port) {
        return allowedBy(from, "Egress", policy -> policy.getSpec().getEgress().stream()
                .anyMatch(rule -> peersMatch(rule.getTo(), to, policy) && portsMatch(rule.getPorts(), to,
                        protocol, port)));
    }

    /** Policies that select this pod for this direction. */
    List<NetworkPolicy> selecting(Endpoint pod, String type) {
        if (!pod.isPod()) {
            return List.of();
        }
        return policies.stream()
                .filter(p -> Objects.equals(p.getMetadata().getNamespace(), pod.namespace()))
                .filter(p -> Manifests.selects(p.getSpec().getPodSelector(), pod.labels()))
                .filter(p -> types(p).contains(type))
                .collect(Collectors.toList());
    }

    /** policyTypes as given, or as the API defaults them: Ingress always, Egress when there are egress rules. */
    static List<String> types(NetworkPolicy policy) {
        if (policy.getSpec().getPolicyTypes() != null && !policy.getSpec().getPolicyTypes().isEmpty()) {
            return policy.getSpec().getPolicyTypes();
        }
        return policy.getSpec().getEgress() == null || policy.getSpec().getEgress().isEmpty()
                ? List.of("Ingress") : List.of("Ingress", "Egress");
    }

    private boolean allowedBy(Endpoint pod, String type, Predicate<NetworkPolicy> rulesAllow) {
        List<NetworkPolicy> isolating = selecting(pod, type);
        if (isolating.isEmpty()) {
            return true;   // not isolated in this direction
        }
        return isolating.stream()
                .filter(p -> (type.equals("Ingress") ? p.getSpec().getIngress() : p.getSpec().getEgress()) != null)
                .anyMatch(rulesAllow);
    }

    private static boolean peersMatch(List<NetworkPolicyPeer> peers, Endpoint other, NetworkPolicy policy) {
        if (peers == null || peers.isEmpty()) {
            return true;
        }
        return peers.stream().anyMatch(peer -> peerMatches(peer, other, policy));
    }

    private static boolean peerMatches(NetworkPolicyPeer peer, Endpoint other, NetworkPolicy policy) {
        if (peer.getIpBlock() != null || !other.isPod()) {
            return false;
        }
        LabelSelector namespaces = peer.getNamespaceSelector();
        LabelSelector pods = peer.getPodSelector();
        boolean namespaceOk = namespaces == null
                ? other.namespace().equals(policy.getMetadata().getNamespace())
                : Manifests.selects(namespaces, other.namespaceLabels());
        boolean podOk = pods == null || Manifests.selects(pods, other.labels());
        return namespaceOk && podOk;
    }

    private static boolean portsMatch(List<NetworkPolicyPort> ports, Endpoint destination, String protocol,
            int port) {
        if (ports == null || ports.isEmpty()) {
            return true;
        }
        return ports.stream().anyMatch(p -> {
            String ruleProtocol = p.getProtocol() == null ? "TCP" : p.getProtocol();
            if (!ruleProtocol.equals(protocol)) {
                return false;
            }
            if (p.getPort() == null) {
                return true;
            }
            if (p.getPort().getIntVal() != null) {
                int from = p.getPort().getIntVal();
                int to = p.getEndPort() != null ? p.getEndPort() : from;
                return port >= from && port <= to;
            }
            return destination.ports().stream().anyMatch(c -> p.getPort().getStrVal().equals(c.getName())
                    && protocol.equals(c.getProtocol()) && c.getContainerPort() == port);
        });
    }
}
