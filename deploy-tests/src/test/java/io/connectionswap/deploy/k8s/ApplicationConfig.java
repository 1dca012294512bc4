package io.connectionswap.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectionswap.deploy.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One service's own configuration file ({@code <role>-service/src/main/resources/<role>-service.yml}): the
 * environment variables it reads (its {@code ${NAME:default}} placeholders) and its Actuator settings. The
 * Kubernetes checks and the Compose checks ({@code ComposeEnvironmentTest}) judge the variables they set by it.
 */
public record ApplicationConfig(String role, Path file, JsonNode tree, Map<String, String> variables) {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::([^}$]*))?");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ns|us|ms|s|m|h|d)?");

    public static ApplicationConfig of(String role) {
        Path file = Repository.resolve(role + "-service/src/main/resources/" + role + "-service.yml");
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the " + role + " configuration " + file, e);
        }
        Map<String, String> variables = new LinkedHashMap<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            variables.putIfAbsent(m.group(1), m.group(2));
        }
        JsonNode tree = StrictManifests.documents(text).get(0);
        return new ApplicationConfig(role, Repository.root().relativize(file), tree, variables);
    }

    public boolean reads(String variable) {
        return variables.containsKey(variable);
    }

    /** The default after the colon of {@code ${NAME:default}}, or null when there is none. */
    public String defaultOf(String variable) {
        return variables.get(variable);
    }

    public JsonNode at(String dottedPath) {
        JsonNode node = tree;
        for (String part : dottedPath.split("\\.")) {
            node = node.path(part);
        }
        return node;
    }

    /** Spring Boot's simple duration syntax ({@code 500ms}, {@code 20s}, {@code 1m}; no unit: milliseconds). */
    public static Duration duration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a simple Spring duration: '" + text + "' (expected e.g. 20s)");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        return switch (unit) {
            case "ns" -> Duration.ofNanos(amount);
            case "us" -> Duration.ofNanos(amount * 1000);
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }
}
