package io.connectionswap.deploy.k8s;

import static io.connectionswap.deploy.k8s.JvmMemoryBudget.MIB;
import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.deploy.Repository;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code k8s/overlays/production}: nothing made for development, sized requests and limits whose JVM flags fit
 * (added up, area by area), an HPA on the gateway and a PodDisruptionBudget for every role. Also the image's JVM
 * memory defaults ({@code docker/Dockerfile}) against the limits that use them (the dev overlay, compose).
 */
class ProductionOverlayTest {

    private static final String JAVA_TOOL_OPTIONS = "JAVA_TOOL_OPTIONS";

    private static Manifests production;

    @RegisterExtension
    static final RenderOrSkip RENDER =
            new RenderOrSkip(() -> production = Kustomize.production(ProductionOverlayTest.class));

    @Test
    void shipsNoKeyNoCertificateAndNothingForDevelopment() {
        assertThat(production.all(Secret.class)).as("Secrets: the operator or cert-manager makes it").isEmpty();
        assertThat(production.yaml()).as("rendered production manifests")
                .doesNotContain("PRIVATE KEY").doesNotContain("BEGIN CERTIFICATE")
                .doesNotContainIgnoringCase("development CA")
                .doesNotContain("certs-from-generate-certs.sh");
        for (ConfigMap map : production.all(ConfigMap.class)) {
            assertThat(map.getData().keySet()).as("ConfigMap %s keys", map.getMetadata().getName())
                    .noneMatch(k -> k.endsWith(".pem") || k.endsWith(".key"));
        }
        for (String role : Manifests.ROLES) {
            assertThat(production.container(role).getImage()).as("%s image", role).doesNotEndWith(":local");
            assertThat(production.env(role)).as("%s environment", role)
                    .doesNotContainKey("CONNECTION_SWAP_WORKER_FAIL_AFTER");
        }
    }

    @Test
    void runsTwoDirectorsThreeWorkersAndLeavesTheGatewayCountToItsAutoscaler() {
        assertThat(Manifests.replicas(production.workload("director"))).isGreaterThanOrEqualTo(2);
        assertThat(Manifests.replicas(production.workload("worker"))).isGreaterThanOrEqualTo(3);
        assertThat(Manifests.replicas(production.workload("client")))
                .as("client Deployment replicas: the HPA owns them; a value here would reset them on every apply")
                .isNull();
    }

    @Test
    void theAutoscalerTargetsTheGatewayDeploymentOnCpu() {
        HorizontalPodAutoscaler hpa = production.single(HorizontalPodAutoscaler.class, "client");
        assertThat(hpa.getApiVersion()).isEqualTo("autoscaling/v2");
        var target = hpa.getSpec().getScaleTargetRef();
        assertThat(target.getApiVersion() + " " + target.getKind() + " " + target.getName())
                .isEqualTo("apps/v1 Deployment client");
        assertThat(production.workload(target.getName())).isInstanceOf(Deployment.class);
        assertThat(production.container("client").getPorts()).as("the gateway's port")
                .anyMatch(p -> p.getName().equals("http"));

        assertThat(hpa.getSpec().getMinReplicas()).as("minReplicas").isGreaterThanOrEqualTo(2);
        assertThat(hpa.getSpec().getMaxReplicas()).as("maxReplicas").isGreaterThan(hpa.getSpec().getMinReplicas());
        List<MetricSpec> metrics = hpa.getSpec().getMetrics();
        assertThat(metrics).hasSize(1);
        assertThat(metrics.get(0).getType()).isEqualTo("Resource");
        assertThat(metrics.get(0).getResource().getName()).isEqualTo("cpu");
        assertThat(metrics.get(0).getResource().getTarget().getType()).isEqualTo("Utilization");
        assertThat(metrics.get(0).getResource().getTarget().getAverageUtilization()).isBetween(50, 90);
        assertThat(production.container("client").getResources().getRequests())
                .as("utilization is a share of the CPU request: the gateway must have one").containsKey("cpu");
        assertThat(hpa.getSpec().getBehavior().getScaleDown().getStabilizationWindowSeconds())
                .as("scale-down waits: a gateway pod that goes ends its running streams")
                .isGreaterThanOrEqualTo(300);
    }

    @ParameterizedTest
    @ValueSource(strings = {"director", "worker", "client"})
    void everyRoleHasADisruptionBudgetThatLetsOnePodGoAndKeepsOneServing(String role) {
        List<PodDisruptionBudget> budgets = production.all(PodDisruptionBudget.class).stream()
                .filter(b -> Manifests.selects(b.getSpec().getSelector(), production.templateLabels(role)))
                .collect(Collectors.toList());
        assertThat(budgets).as("PodDisruptionBudgets selecting %s pods", role).hasSize(1);
        PodDisruptionBudget budget = budgets.get(0);
        for (String other : Manifests.ROLES) {
            if (!other.equals(role)) {
                assertThat(Manifests.selects(budget.getSpec().getSelector(), production.templateLabels(other)))
                        .as("PodDisruptionBudget %s selects %s pods too", budget.getMetadata().getName(), other)
                        .isFalse();
            }
        }
        assertThat(budget.getSpec().getMinAvailable() == null ^ budget.getSpec().getMaxUnavailable() == null)
                .as("PodDisruptionBudget %s: exactly one of minAvailable and maxUnavailable (the API refuses both)",
                        budget.getMetadata().getName()).isTrue();
        int replicas = Optional.ofNullable(Manifests.replicas(production.workload(role)))
                .orElseGet(() -> production.single(HorizontalPodAutoscaler.class, role).getSpec().getMinReplicas());
        int mayGo = budget.getSpec().getMaxUnavailable() != null
                ? absolute(budget.getSpec().getMaxUnavailable())
                : replicas - absolute(budget.getSpec().getMinAvailable());
        assertThat(mayGo).as("%s: pods a node drain may evict at once (of %d)", role, replicas)
                .isGreaterThanOrEqualTo(1).isLessThan(replicas);
    }

    @ParameterizedTest
    @ValueSource(strings = {"director", "worker", "client"})
    void everyContainerHasRequestsAndLimitsAndItsJvmFitsTheLimit(String role) {
        Container container = production.container(role);
        Map<String, Quantity> requests = container.getResources().getRequests();
        Map<String, Quantity> limits = container.getResources().getLimits();
        assertThat(requests).as("%s requests", role).containsKeys("cpu", "memory");
        assertThat(limits).as("%s limits", role).containsKeys("cpu", "memory");
        assertThat(Quantity.getAmountInBytes(limits.get("cpu")))
                .as("%s: cpu limit >= request", role)
                .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(requests.get("cpu")));
        long limit = Quantity.getAmountInBytes(limits.get("memory")).longValueExact();
        assertThat(Quantity.getAmountInBytes(requests.get("memory")).longValueExact())
                .as("%s: memory request = limit (a JVM keeps what it once used)", role).isEqualTo(limit);

        String flags = production.env(role).get(JAVA_TOOL_OPTIONS);
        assertThat(flags).as("%s: %s sized for this limit", role, JAVA_TOOL_OPTIONS).isNotBlank();
        JvmMemoryBudget budget = JvmMemoryBudget.of(flags, limit);
        assertThat(budget.unbounded()).as("%s: areas no flag caps: %s", role, flags).isEmpty();
        assertThat(budget.fits()).as("%s: %s", role, budget.describe()).isTrue();
        assertThat(flags.split("\\s+")).as("%s flags", role)
                .contains("-Dio.netty.maxDirectMemory=0", "-XX:+ExitOnOutOfMemoryError")
                .anyMatch(f -> f.startsWith("-Xmx"));
        assertThat(budget.heap()).as("%s: heap is the largest share", role)
                .isGreaterThanOrEqualTo(limit * 30 / 100);
    }

    @Test
    void theImagesJvmDefaultsFitTheDevOverlayAndComposeLimits() throws IOException {
        String dockerfile = Files.readString(Repository.resolve("docker/Dockerfile"));
        Matcher env = Pattern.compile("(?m)^ENV JAVA_TOOL_OPTIONS=\"([^\"]+)\"\\s*$").matcher(dockerfile);
        assertThat(env.find()).as("docker/Dockerfile: ENV JAVA_TOOL_OPTIONS=\"...\"").isTrue();
        String defaults = env.group(1);
        Matcher entrypoint = Pattern.compile("(?m)^ENTRYPOINT (.+)$").matcher(dockerfile);
        assertThat(entrypoint.find()).isTrue();
        assertThat(entrypoint.group(1)).as("no JVM flag on the command line, where JAVA_TOOL_OPTIONS could not "
                + "override it").doesNotContain("-X").doesNotContain("-D");

        Manifests dev = Kustomize.dev(ProductionOverlayTest.class);
        for (String role : Manifests.ROLES) {
            assertThat(dev.env(role)).as("dev %s runs on the image's defaults", role)
                    .doesNotContainKey(JAVA_TOOL_OPTIONS);
            long limit = Quantity.getAmountInBytes(dev.container(role).getResources().getLimits().get("memory"))
                    .longValueExact();
            JvmMemoryBudget budget = JvmMemoryBudget.of(defaults, limit);
            assertThat(budget.unbounded()).isEmpty();
            assertThat(budget.fits()).as("dev %s with the image defaults: %s", role, budget.describe()).isTrue();
        }

        Matcher composeLimits = Pattern.compile("(?m)^\\s*mem_limit:\\s*([0-9]+[kmg])\\b")
                .matcher(Files.readString(Repository.resolve("docker-compose.yml")));
        int found = 0;
        while (composeLimits.find()) {
            found++;
            JvmMemoryBudget budget = JvmMemoryBudget.of(defaults, JvmMemoryBudget.bytes(composeLimits.group(1)));
            assertThat(budget.fits()).as("docker-compose.yml mem_limit %s with the image defaults: %s",
                    composeLimits.group(1), budget.describe()).isTrue();
            assertThat(budget.heap()).as("heap at %s", composeLimits.group(1)).isGreaterThanOrEqualTo(128 * MIB);
        }
        assertThat(found).as("mem_limit entries in docker-compose.yml").isPositive();
    }

    private static int absolute(IntOrString value) {
        assertThat(value.getIntVal()).as("budgets here are whole pod counts, not percentages: %s", value)
                .isNotNull();
        return value.getIntVal();
    }
}
