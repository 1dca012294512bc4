package io.connectionswap.protocol.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LogFieldsTest {

    /** The modules whose log lines users see. */
    private static final Set<String> SHIPPED = Set.of("director-service", "worker-service", "client-service",
            "shared-protocol", "swap-client", "swap-client-spring-boot-starter");

    private static Map<String, Object> fields(String line) {
        Map<String, Object> fields = new LinkedHashMap<>();
        LogFields.forEach(line, fields::put);
        return fields;
    }

    @Test
    void readsTheLeadingFieldsAndStopsAtTheMessage() {
        assertThat(fields("stream.id=7 connection.id=conn-3 worker.label=worker-a reason=health swapping stream"))
                .containsExactly(entry("stream.id", 7L), entry("connection.id", "conn-3"),
                        entry("worker.label", "worker-a"), entry("reason", "health"));
    }

    @Test
    void numbersAndBooleansAreTyped() {
        assertThat(fields("last.seq=-1 tokens=123456789012345678 big=1234567890123456789 on=true ratio=0.5 ended"))
                .containsExactly(entry("last.seq", -1L), entry("tokens", 123456789012345678L),
                        entry("big", "1234567890123456789"), entry("on", true), entry("ratio", "0.5"));
    }

    @Test
    void aQuotedValueKeepsItsSpacesAndInnerQuotes() {
        assertThat(fields("retry.in=2s problem=\"io: no route to host\" cannot reach director"))
                .containsExactly(entry("retry.in", "2s"), entry("problem", "io: no route to host"));
        assertThat(fields("problem=\"unexpected \"}\"; at 3\" bad frame"))
                .as("a quote not followed by a space is inside the value")
                .containsExactly(entry("problem", "unexpected \"}\"; at 3"));
        assertThat(fields("problem=\"\" empty")).containsExactly(entry("problem", ""));
        assertThat(fields("problem=\"\"")).containsExactly(entry("problem", ""));
    }

    @Test
    void anUnclosedQuoteEndsTheFields() {
        assertThat(fields("stream.id=3 problem=\"never closed")).containsExactly(entry("stream.id", 3L));
    }

    @Test
    void linesWithoutLeadingFieldsHaveNone() {
        assertThat(fields("Started DirectorApplication in 2.1 seconds")).isEmpty();
        assertThat(fields("the director is at host=a")).isEmpty();
        assertThat(fields("")).isEmpty();
        assertThat(fields(null)).isEmpty();
        assertThat(fields("Key=1 capitalised keys are not fields")).isEmpty();
        assertThat(fields("=1 no key")).isEmpty();
        assertThat(fields("key= no value")).isEmpty();
        assertThat(fields("trailing.=1 a key ends with a letter or digit")).isEmpty();
    }

    @Test
    void keysThatStartOtherKeysTakeTheirJsonName() {
        assertThat(fields("peer=127.0.0.1:4433 peer.cert=client stream.id=12 error=BAD_FRAME ended stream"))
                .containsExactly(entry("peer.address", "127.0.0.1:4433"), entry("peer.cert", "client"),
                        entry("stream.id", 12L), entry("error", "BAD_FRAME"));
        assertThat(fields("worker=worker-a retry.in=1s retry.in.max=8s waiting"))
                .containsExactly(entry("worker.label", "worker-a"), entry("retry.in", "1s"), entry("retry.max", "8s"));
    }

    @Test
    void aNameIsGivenOnce() {
        assertThat(fields("worker=worker-a worker.label=worker-b twice"))
                .containsExactly(entry("worker.label", "worker-a"));
    }

    /**
     * Every key in the project's log lines (read from the sources), under its JSON name, is not the start of another:
     * a store that expands dotted names (Elasticsearch) could not hold {@code peer} as text and as an object.
     */
    @Test
    void noKeyInTheSourcesIsTheStartOfAnotherInJson() throws IOException {
        Pattern logKey = Pattern.compile("(?<![A-Za-z0-9_.])([a-z][a-z0-9_.]*[a-z0-9])="
                + "(?:\\{\\}|\\\\\"\\{\\}\\\\\"|(?:true|false|[A-Z][A-Z_]+)(?![A-Za-z0-9_]))");
        Set<String> names = new TreeSet<>();
        Path root = Path.of("").toAbsolutePath().getParent();
        try (Stream<Path> sources = Files.walk(root)) {
            for (Path source : sources.filter(path -> path.toString().endsWith(".java"))
                    .filter(path -> SHIPPED.contains(root.relativize(path).getName(0).toString()))
                    .filter(path -> path.toString().contains("/src/main/java/")).toList()) {
                Matcher keys = logKey.matcher(Files.readString(source));
                while (keys.find()) {
                    names.add(LogFields.JSON_NAMES.getOrDefault(keys.group(1), keys.group(1)));
                }
            }
        }
        assertThat(names).as("keys found in the sources' log lines").contains("stream.id", "connection.id", "reason")
                .hasSizeGreaterThan(50);
        for (String name : names) {
            assertThat(names).as("JSON names that start with " + name + ".")
                    .noneMatch(other -> other.startsWith(name + "."));
        }
    }
}
