package io.connectionswap.deploy.compose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.connectionswap.deploy.Repository;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The repository's docker-compose.yml as {@code docker-compose config} resolves it (variables substituted with
 * the test's knobs, relative paths made absolute), with three changes so that a test run cannot clash with
 * anything else on the machine (or with the clone's own PKI):
 * <ul>
 *   <li>no fixed host ports: each published port gets a free one from Docker (Compose v1 cannot remove a port
 *       in an override file, it merges port lists, hence the rewrite);</li>
 *   <li>image tags unique to this run ({@code connection-swap/director:it-<run>}), so {@code down --rmi all}
 *       removes exactly what this run built and never someone's {@code :local} images;</li>
 *   <li>services in a profile (monitoring: Prometheus, Grafana) left out: their images would have to be pulled;</li>
 *   <li>optionally, extra {@code depends_on: condition: service_healthy} entries, so that fewer JVMs warm up at
 *       the same time on a small machine (the client starting only once the workers are healthy);</li>
 *   <li>{@code /certs} mounted from a directory of the test's own (empty at start: the stack's one-shot
 *       {@code certs} service creates the development PKI there, and each role's directory in it), never from the
 *       repository's certs/.</li>
 * </ul>
 * Everything else (build, environment, healthchecks, depends_on, init, mem_limit, volumes) is the file's own.
 */
final class ComposeStackFile {

    /** Where the services read their PEM files (CONNECTION_SWAP_CERTS_DIR in docker-compose.yml). */
    private static final String CERTS_TARGET = "/certs";

    private ComposeStackFile() {
    }

    static Path write(Path target, Map<String, String> knobs, String runTag, Set<String> expectedServices,
            Map<String, List<String>> startAfterHealthy, Path certs) throws IOException {
        ObjectNode root = ComposeConfig.resolve(knobs);
        YAMLMapper yaml = new YAMLMapper();
        ObjectNode services = (ObjectNode) root.get("services");

        List<String> profiled = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> service = it.next();
            if (service.getValue().has("profiles")) {
                profiled.add(service.getKey());
                it.remove();
            }
        }
        Set<String> names = new TreeSet<>();
        services.fieldNames().forEachRemaining(names::add);
        if (!names.equals(new TreeSet<>(expectedServices))) {
            throw new IllegalStateException("docker-compose.yml defines services " + names + " (besides profiles "
                    + profiled + "); this test expects " + new TreeSet<>(expectedServices));
        }

        for (Map.Entry<String, JsonNode> entry : iterable(services.fields())) {
            ObjectNode service = (ObjectNode) entry.getValue();
            String image = service.path("image").asText();
            if (image.isEmpty() || !service.has("build")) {
                throw new IllegalStateException("service " + entry.getKey() + " has no image or no build section");
            }
            int colon = image.lastIndexOf(':');
            String repository = colon > image.lastIndexOf('/') ? image.substring(0, colon) : image;
            service.put("image", repository + ":" + runTag);

            mountCertificatesFrom(entry.getKey(), service, certs);

            JsonNode ports = service.get("ports");
            if (ports instanceof ArrayNode list) {
                for (JsonNode port : list) {
                    if (!(port instanceof ObjectNode mapping)) {
                        throw new IllegalStateException("service " + entry.getKey() + ": port " + port
                                + " not in long syntax; docker-compose config always prints long syntax");
                    }
                    mapping.remove("published");
                    mapping.remove("host_ip");
                }
            }
        }
        startAfterHealthy.forEach((service, dependencies) -> {
            ObjectNode dependsOn = ((ObjectNode) services.get(service)).withObjectProperty("depends_on");
            for (String dependency : dependencies) {
                dependsOn.putObject(dependency).put("condition", "service_healthy");
            }
        });

        Path file = target.resolve("docker-compose.yml");
        yaml.writeValue(file.toFile(), root);
        return file;
    }

    /**
     * Every volume mounted at {@code /certs} gets its files from {@code certs} instead of the repository's certs/: the
     * one-shot's {@code ./certs} becomes {@code certs}, a service's {@code ./certs/<role>} becomes {@code certs/<role>}.
     */
    private static void mountCertificatesFrom(String name, ObjectNode service, Path certs) {
        JsonNode volumes = service.get("volumes");
        if (!(volumes instanceof ArrayNode list)) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            JsonNode volume = list.get(i);
            if (volume.isTextual()) {                       // short syntax: source:target[:mode]
                String[] parts = volume.asText().split(":");
                if (parts.length >= 2 && parts[1].equals(CERTS_TARGET)) {
                    parts[0] = ownCertificates(name, parts[0], certs);
                    list.set(i, list.textNode(String.join(":", parts)));
                }
            } else if (volume instanceof ObjectNode mapping && CERTS_TARGET.equals(mapping.path("target").asText())) {
                mapping.put("source", ownCertificates(name, mapping.path("source").asText(), certs));
            } else if (!volume.isObject()) {
                throw new IllegalStateException("service " + name + ": volume " + volume + " in an unknown syntax");
            }
        }
    }

    /** {@code source} (absolute, as {@code docker-compose config} prints it) moved from the repository's certs/. */
    private static String ownCertificates(String name, String source, Path certs) {
        Path repositoryCerts = Repository.resolve("certs").toAbsolutePath().normalize();
        Path from = Path.of(source).toAbsolutePath().normalize();
        if (!from.startsWith(repositoryCerts)) {
            throw new IllegalStateException("service " + name + ": " + CERTS_TARGET + " is mounted from " + source
                    + ", not from the repository's certs/ (" + repositoryCerts + ")");
        }
        return certs.resolve(repositoryCerts.relativize(from).toString()).toString();
    }

    private static <T> Iterable<T> iterable(Iterator<T> iterator) {
        return () -> iterator;
    }
}
