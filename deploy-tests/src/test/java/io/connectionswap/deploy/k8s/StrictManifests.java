package io.connectionswap.deploy.k8s;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.certmanager.api.model.v1.Issuer;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Parses rendered manifests into the fabric8 model and refuses anything the model does not know.
 *
 * <p>fabric8 model classes keep unknown fields in an {@code additionalProperties} map through a Jackson any-setter,
 * so {@code FAIL_ON_UNKNOWN_PROPERTIES} alone never fires. The deserializer modifier below removes that any-setter
 * from every fabric8 bean: a misspelled or misplaced field ({@code livenessProbe.httpGett},
 * {@code spec.replica}) then fails with its JSON path, like {@code kubectl apply --validate=strict} would.
 * Kinds are mapped to classes explicitly (apiVersion and kind from the classes' own annotations); an object of
 * any other kind fails too.
 */
final class StrictManifests {

    private static final List<Class<? extends HasMetadata>> KINDS = List.of(
            Namespace.class, ConfigMap.class, Secret.class, Service.class, Deployment.class, StatefulSet.class,
            PodDisruptionBudget.class, NetworkPolicy.class, HorizontalPodAutoscaler.class, ServiceMonitor.class,
            Certificate.class, Issuer.class, PrometheusRule.class);

    private static final Map<String, Class<? extends HasMetadata>> BY_TYPE = KINDS.stream()
            .collect(Collectors.toMap(k -> typeKey(HasMetadata.getApiVersion(k), HasMetadata.getKind(k)),
                    Function.identity()));

    private static final ObjectMapper STRICT = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .addModule(new SimpleModule("strict-fabric8").setDeserializerModifier(new NoAdditionalProperties()))
            .build();

    private StrictManifests() {
    }

    /** Every YAML document of a multi-document stream, as trees (empty documents skipped). */
    static List<JsonNode> documents(String yaml) {
        try (var docs = STRICT.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
            List<JsonNode> result = new ArrayList<>();
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                    result.add(doc);
                }
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("rendered manifests are not valid YAML", e);
        }
    }

    /** Parses every document strictly; the first unknown kind or field fails with the object's name. */
    static List<HasMetadata> parse(String yaml) {
        return documents(yaml).stream().map(StrictManifests::parse).collect(Collectors.toList());
    }

    static HasMetadata parse(JsonNode doc) {
        String apiVersion = doc.path("apiVersion").asText();
        String kind = doc.path("kind").asText();
        String name = doc.path("metadata").path("name").asText("<no name>");
        Class<? extends HasMetadata> type = BY_TYPE.get(typeKey(apiVersion, kind));
        if (type == null) {
            throw new IllegalArgumentException(kind + " " + name + " (apiVersion " + apiVersion + "): not a kind "
                    + "these checks know (expected one of " + BY_TYPE.keySet() + "); add its fabric8 class to "
                    + StrictManifests.class.getSimpleName() + ".KINDS");
        }
        try {
            return STRICT.treeToValue(doc, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(kind + " " + name + " does not match the Kubernetes schema: "
                    + e.getOriginalMessage() + " at " + pathOf(e), e);
        }
    }

    static ObjectMapper mapper() {
        return STRICT;
    }

    static Stream<Class<? extends HasMetadata>> kinds() {
        return KINDS.stream();
    }

    private static String pathOf(JsonProcessingException e) {
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException mapping) {
            return mapping.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? "." + ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .collect(Collectors.joining());
        }
        return "?";
    }

    private static String typeKey(String apiVersion, String kind) {
        return apiVersion + "/" + kind;
    }

    private static final class NoAdditionalProperties extends BeanDeserializerModifier {
        @Override
        public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription description,
                BeanDeserializerBuilder builder) {
            if (description.getBeanClass().getName().startsWith("io.fabric8.")) {
                builder.setAnySetter(null);
            }
            return builder;
        }
    }
}
