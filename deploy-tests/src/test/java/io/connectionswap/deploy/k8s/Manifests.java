package io.connectionswap.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One rendered set of manifests, parsed strictly, with the look-ups the checks share. A role (director, worker,
 * client) is one workload of that name: a Deployment or a StatefulSet with one container of the same name.
 */
record Manifests(String yaml, List<HasMetadata> objects) {

    static final List<String> ROLES = List.of("director", "worker", "client");
    /** kustomize generators append a 10-character content hash to the name. */
    private static final Pattern GENERATED = Pattern.compile("(.+)-[a-z0-9]{10}");

    static Manifests parse(String yaml) {
        return new Manifests(yaml, StrictManifests.parse(yaml));
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
    }

    /** The one object of that kind whose name (without a generator's hash suffix) is {@code name}. */
    <T extends HasMetadata> T single(Class<T> type, String name) {
        List<T> found = all(type).stream().filter(o -> baseName(o).equals(name)).collect(Collectors.toList());
        assertThat(found).as("%s %s", type.getSimpleName(), name).hasSize(1);
        return found.get(0);
    }

    Service service(String name) {
        return single(Service.class, name);
    }

    /** Deployments and StatefulSets. */
    List<HasMetadata> workloads() {
        return objects.stream().filter(o -> o instanceof Deployment || o instanceof StatefulSet)
                .collect(Collectors.toList());
    }

    HasMetadata workload(String role) {
        List<HasMetadata> found = workloads().stream().filter(w -> w.getMetadata().getName().equals(role))
                .collect(Collectors.toList());
        assertThat(found).as("workloads named %s", role).hasSize(1);
        return found.get(0);
    }

    static PodTemplateSpec template(HasMetadata workload) {
        if (workload instanceof Deployment d) {
            return d.getSpec().getTemplate();
        }
        return ((StatefulSet) workload).getSpec().getTemplate();
    }

    static LabelSelector selector(HasMetadata workload) {
        if (workload instanceof Deployment d) {
            return d.getSpec().getSelector();
        }
        return ((StatefulSet) workload).getSpec().getSelector();
    }

    /** The replica count written in the manifest; null when none is (an HPA owns it). */
    static Integer replicas(HasMetadata workload) {
        if (workload instanceof Deployment d) {
            return d.getSpec().getReplicas();
        }
        return ((StatefulSet) workload).getSpec().getReplicas();
    }

    PodTemplateSpec template(String role) {
        return template(workload(role));
    }

    PodSpec pod(String role) {
        return template(role).getSpec();
    }

    Map<String, String> templateLabels(String role) {
        return template(role).getMetadata().getLabels();
    }

    Container container(String role) {
        List<Container> containers = pod(role).getContainers();
        assertThat(containers).as("%s containers", role).hasSize(1);
        assertThat(containers.get(0).getName()).isEqualTo(role);
        return containers.get(0);
    }

    Volume volume(String role, String name) {
        return pod(role).getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(role + ": no volume " + name));
    }

    ContainerPort namedPort(String role, String name) {
        return container(role).getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError(role + ": no port named " + name));
    }

    int servicePort(String service, String portName) {
        return service(service).getSpec().getPorts().stream().filter(p -> portName.equals(p.getName()))
                .findFirst().orElseThrow(() -> new AssertionError(service + ": no port " + portName)).getPort();
    }

    /** The container port a Service port leads to (its targetPort, resolved on the selected pods). */
    ContainerPort targetOf(String service, int port) {
        Service s = service(service);
        String role = workloadSelectedBy(s);
        IntOrString target = s.getSpec().getPorts().stream().filter(p -> p.getPort() == port).findFirst()
                .orElseThrow(() -> new AssertionError(service + ": no port " + port)).getTargetPort();
        return container(role).getPorts().stream().filter(p -> matches(p, target)).findFirst()
                .orElseThrow(() -> new AssertionError(service + " port " + port + ": targetPort " + target
                        + " is no container port of " + role));
    }

    /** The one workload whose pods a Service selects. */
    String workloadSelectedBy(Service service) {
        List<String> selected = workloads().stream()
                .filter(w -> template(w).getMetadata().getLabels().entrySet()
                        .containsAll(service.getSpec().getSelector().entrySet()))
                .map(w -> w.getMetadata().getName())
                .collect(Collectors.toList());
        assertThat(selected).as("workloads selected by Service %s", service.getMetadata().getName()).hasSize(1);
        return selected.get(0);
    }

    /**
     * The container's environment as the kubelet builds it: the envFrom ConfigMaps first, then {@code env} in
     * order (later entries win). {@code valueFrom} entries show as {@code <fieldRef:path>}; {@code $(VAR)}
     * references are left as written.
     */
    Map<String, String> env(String role) {
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

    /**
     * The port a role serves Actuator on, as Spring Boot picks it: {@code management.server.port}
     * ({@code MANAGEMENT_SERVER_PORT}) when set, else {@code server.port} ({@code SERVER_PORT}).
     */
    int actuatorPort(String role) {
        Map<String, String> env = env(role);
        return Integer.parseInt(env.getOrDefault("MANAGEMENT_SERVER_PORT", env.get("SERVER_PORT")));
    }

    static boolean selects(LabelSelector selector, Map<String, String> labels) {
        Map<String, String> actual = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null
                && !actual.entrySet().containsAll(selector.getMatchLabels().entrySet())) {
            return false;
        }
        for (LabelSelectorRequirement r : selector.getMatchExpressions() == null
                ? List.<LabelSelectorRequirement>of() : selector.getMatchExpressions()) {
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
        return true;
    }

    static boolean matches(ContainerPort port, IntOrString target) {
        return target.getIntVal() != null ? target.getIntVal().equals(port.getContainerPort())
                : target.getStrVal().equals(port.getName());
    }

    static String baseName(HasMetadata object) {
        String name = object.getMetadata().getName();
        if (object instanceof ConfigMap || object instanceof Secret) {
            Matcher m = GENERATED.matcher(name);
            if (m.matches()) {
                return m.group(1);
            }
        }
        return name;
    }

    static String describe(HasMetadata object) {
        return object.getKind() + " " + object.getMetadata().getName();
    }

    static String hostOf(String hostPort) {
        return hostPort.substring(0, hostPort.lastIndexOf(':'));
    }

    static int portOf(String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }
}
