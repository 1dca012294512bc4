package io.connectionswap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** What a run found: the sections of {@code summary.json}, in the order they were added, and the errors. */
final class Results {

    private final Map<String, Object> root = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();

    void put(String key, Object value) {
        root.put(key, value);
    }

    Object get(String key) {
        return root.get(key);
    }

    /** The section {@code key}, created empty on first use. */
    @SuppressWarnings("unchecked")
    Map<String, Object> section(String key) {
        return (Map<String, Object>) root.computeIfAbsent(key, k -> new LinkedHashMap<String, Object>());
    }

    synchronized void error(String message) {
        errors.add(message);
    }

    synchronized boolean hasErrors() {
        return !errors.isEmpty();
    }

    /** The summary with the errors under {@code errors}. */
    synchronized Map<String, Object> summary() {
        root.put("errors", List.copyOf(errors));
        return root;
    }

    void write(Path file) {
        try {
            JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
            Files.writeString(file, json.writeValueAsString(summary()) + "\n", StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            System.out.println("[bench] cannot write summary.json: " + e);
        }
    }
}
