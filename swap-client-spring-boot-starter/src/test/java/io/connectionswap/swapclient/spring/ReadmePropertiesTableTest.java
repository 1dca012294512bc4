package io.connectionswap.swapclient.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.convert.DurationStyle;

/**
 * The README's table of the starter's {@code connection-swap.client.*} properties ("Use it from an application",
 * "Spring Boot") against {@link SwapClientProperties}: every property has a row, every row is a property, and a
 * default the row gives as a value ({@code `100ms`}) is the one the starter binds when the property is not set.
 */
class ReadmePropertiesTableTest {

    private static final String PREFIX = "connection-swap.client.";
    private static final Pattern ROW = Pattern.compile("^\\| (`connection-swap\\.client\\.[^|]+) \\| ([^|]+) \\|");
    private static final Pattern NAME = Pattern.compile("`(?:connection-swap\\.client\\.)?([a-z-]+)`");
    private static final Pattern VALUE = Pattern.compile("`([^`]+)`");

    @Test
    void everyPropertyHasARowWithTheDefaultTheStarterBinds() throws Exception {
        Map<String, String> documented = readmeDefaults();
        SwapClientProperties bound = new Binder(new MapConfigurationPropertySource(
                Map.of(PREFIX + "director-target", "127.0.0.1:61000")))
                .bind("connection-swap.client", SwapClientProperties.class).get();
        Map<String, Object> properties = new TreeMap<>();
        for (RecordComponent component : SwapClientProperties.class.getRecordComponents()) {
            properties.put(kebab(component.getName()), component.getAccessor().invoke(bound));
        }

        assertThat(documented.keySet()).as("README rows of connection-swap.client.*")
                .containsExactlyInAnyOrderElementsOf(properties.keySet());
        Map<String, String> differing = new TreeMap<>();
        documented.forEach((name, cell) -> {
            Matcher value = VALUE.matcher(cell);
            if (cell.startsWith("`") && value.lookingAt() && !sameValue(value.group(1), properties.get(name))) {
                differing.put(name, "README " + cell + ", bound " + properties.get(name));
            }
        });
        assertThat(differing).as("defaults in the README's connection-swap.client.* table").isEmpty();
    }

    /** Property name (without the prefix) to its default cell; a row {@code `a` / `b`} with {@code `x` / `y`} is two. */
    private static Map<String, String> readmeDefaults() throws IOException {
        Map<String, String> defaults = new LinkedHashMap<>();
        for (String line : Files.readAllLines(readme())) {
            Matcher row = ROW.matcher(line);
            if (!row.find()) {
                continue;
            }
            String[] names = row.group(1).split(" / ");
            String[] cells = row.group(2).strip().split(" / ");
            for (int i = 0; i < names.length; i++) {
                Matcher name = NAME.matcher(names[i].strip());
                assertThat(name.matches()).as("a property name in '%s'", line).isTrue();
                defaults.put(name.group(1), cells[Math.min(i, cells.length - 1)].strip());
            }
        }
        assertThat(defaults).as("README.md: the connection-swap.client.* table").hasSizeGreaterThan(5);
        return defaults;
    }

    private static boolean sameValue(String documented, Object bound) {
        if (bound instanceof Duration duration) {
            return DurationStyle.detectAndParse(documented).equals(duration);
        }
        return documented.equalsIgnoreCase(String.valueOf(bound));
    }

    private static String kebab(String camel) {
        return Arrays.stream(camel.split("(?=[A-Z])")).map(String::toLowerCase).collect(Collectors.joining("-"));
    }

    private static Path readme() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("swap-client"))) {
                return dir.resolve("README.md");
            }
        }
        throw new IllegalStateException("no README.md of the repository above " + Path.of("").toAbsolutePath());
    }
}
