package io.connectionswap.deploy.compose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.connectionswap.deploy.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every image a compose stack needs from the engine before {@code up} can run without a registry: the {@code FROM}
 * images of the Dockerfile of each service with a build section (build arguments applied), and the image of each
 * service without one. {@link #requirePresent} fails at once, naming each image that is not on the engine, instead
 * of letting a build or {@code up} try to pull it.
 */
final class RequiredImages {

    /** An image and why the stack needs it. */
    record Need(String image, String neededBy) {
    }

    private static final Pattern VARIABLE = Pattern.compile("\\$(?:\\{(\\w+)(?::?-([^}]*))?}|(\\w+))");

    private RequiredImages() {
    }

    /** What the services of a resolved compose file ({@code docker-compose config} output) need. */
    static List<Need> of(Path composeFile) throws IOException {
        JsonNode services = new YAMLMapper().readTree(composeFile.toFile()).path("services");
        Map<String, Need> needs = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String service = entry.getKey();
            JsonNode build = entry.getValue().path("build");
            if (build.isMissingNode()) {
                String image = entry.getValue().path("image").asText();
                if (image.isEmpty()) {
                    throw new IllegalStateException("service " + service + " has neither build nor image");
                }
                needs.putIfAbsent(image, new Need(image, "service " + service + " (no build section)"));
                continue;
            }
            Path context = Path.of(build.isTextual() ? build.asText() : build.path("context").asText("."));
            Path dockerfile = context.resolve(build.path("dockerfile").asText("Dockerfile"));
            for (String image : fromImages(Files.readString(dockerfile), buildArgs(build.path("args")))) {
                needs.putIfAbsent(image, new Need(image, "FROM in " + dockerfile + " (service " + service + ")"));
            }
        }
        return List.copyOf(needs.values());
    }

    /** Fails, naming every image that is not on the engine; nothing is pulled. */
    static void requirePresent(List<Need> needs) {
        List<String> absent = new ArrayList<>();
        for (Need need : needs) {
            Command.Result inspect = Command.of("docker", "image", "inspect", "--format", "{{.Id}}", need.image())
                    .timeout(Duration.ofMinutes(1)).run();
            if (inspect.exitCode() != 0) {
                absent.add(need.image() + " (needed by " + need.neededBy() + ")");
            }
        }
        if (!absent.isEmpty()) {
            throw new IllegalStateException("IMAGE NOT ON THIS ENGINE: " + String.join(", ", absent)
                    + ". This test never pulls from a registry: the base image is built locally by "
                    + "docker/offline-base-image.sh, every service image from it.");
        }
    }

    /**
     * The images the {@code FROM} lines of a Dockerfile name, with {@code ARG} defaults before the first FROM
     * overridden by {@code buildArgs}; earlier stages and {@code scratch} are not images.
     */
    static List<String> fromImages(String dockerfile, Map<String, String> buildArgs) {
        Map<String, String> args = new HashMap<>();
        Set<String> stages = new HashSet<>();
        List<String> images = new ArrayList<>();
        boolean seenFrom = false;
        for (String instruction : instructions(dockerfile)) {
            String[] words = instruction.split("\\s+");
            String keyword = words[0].toUpperCase(Locale.ROOT);
            if (keyword.equals("ARG") && !seenFrom && words.length > 1) {
                String[] nameAndDefault = words[1].split("=", 2);
                String name = nameAndDefault[0];
                String value = buildArgs.containsKey(name) ? buildArgs.get(name)
                        : nameAndDefault.length > 1 ? unquote(nameAndDefault[1]) : null;
                if (value != null) {
                    args.put(name, value);
                }
            } else if (keyword.equals("FROM")) {
                seenFrom = true;
                int at = 1;
                while (at < words.length && words[at].startsWith("--")) {
                    at++;
                }
                if (at >= words.length) {
                    throw new IllegalArgumentException("FROM without an image: " + instruction);
                }
                String image = substitute(words[at], args);
                if (at + 2 < words.length && words[at + 1].equalsIgnoreCase("AS")) {
                    stages.add(words[at + 2].toLowerCase(Locale.ROOT));
                }
                if (image.isEmpty()) {
                    throw new IllegalArgumentException("FROM " + words[at] + " names no image (build argument "
                            + "missing?)");
                }
                if (!image.equalsIgnoreCase("scratch") && !stages.contains(image.toLowerCase(Locale.ROOT))
                        && !images.contains(image)) {
                    images.add(image);
                }
            }
        }
        return images;
    }

    private static Map<String, String> buildArgs(JsonNode args) {
        Map<String, String> values = new HashMap<>();
        if (args.isObject()) {
            args.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
        } else if (args.isArray()) {
            for (JsonNode arg : args) {
                String[] pair = arg.asText().split("=", 2);
                if (pair.length == 2) {
                    values.put(pair[0], pair[1]);
                }
            }
        }
        return values;
    }

    /** Instructions with comments dropped and backslash continuations joined. */
    private static List<String> instructions(String dockerfile) {
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : dockerfile.lines().toList()) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            result.add(current.append(trimmed).toString().strip());
            current.setLength(0);
        }
        if (current.length() > 0) {
            result.add(current.toString().strip());
        }
        return result;
    }

    private static String substitute(String text, Map<String, String> args) {
        Matcher matcher = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String name = matcher.group(1) != null ? matcher.group(1) : matcher.group(3);
            String value = args.get(name);
            if ((value == null || value.isEmpty()) && matcher.group(2) != null) {
                value = matcher.group(2);
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value == null ? "" : value));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                || value.startsWith("'") && value.endsWith("'"))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }
}
