package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.systemtest.support.ProcessCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's "Configuration" table against what the roles read: every {@code CONNECTION_SWAP_*} variable comes in
 * through a placeholder of a role's defaults ({@code director-service.yml}, {@code worker-service.yml},
 * {@code client-service.yml}), so those files are the code's list. Each variable they read has a row, each row is
 * read, the row's roles are the roles that read it, and a default given there is the one the row states first. A
 * variable read only as the fallback of another's default ({@code CONNECTION_SWAP_DIRECTOR_ADDR} under
 * {@code CONNECTION_SWAP_DIRECTOR_TARGET}) does not count as read by that role; an empty default is computed in the
 * code (or the setting is required or off) and the row says so in words.
 */
class ReadmeConfigurationTableTest {

    private static final Path ROOT = ProcessCluster.repositoryRoot();
    private static final List<String> ROLES = List.of("director", "worker", "client");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(CONNECTION_SWAP_[A-Z0-9_]+):");
    private static final Pattern CELL_SEPARATOR = Pattern.compile("(?<!\\\\)\\|");

    /** One placeholder of a role's defaults: the role reads {@code variable}, else {@code defaultValue}. */
    private record Read(String variable, String role, String defaultValue, boolean fallback) {
    }

    /** One row of the table: variable, default, roles (the cell's words, "all" spelled out). */
    private record Row(String variable, String defaultCell, Set<String> roles) {
    }

    private static List<Read> reads;
    private static Map<String, Row> rows;

    @BeforeAll
    static void read() throws IOException {
        reads = new ArrayList<>();
        for (String role : ROLES) {
            Path defaults = ROOT.resolve(role + "-service/src/main/resources/" + role + "-service.yml");
            for (String line : Files.readAllLines(defaults)) {
                reads.addAll(placeholders(role, line));
            }
        }
        rows = configurationRows();
    }

    @Test
    void everyVariableTheRolesReadHasARow() {
        assertThat(reads).as("placeholders found in the roles' defaults").hasSizeGreaterThan(50);
        Set<String> read = reads.stream().filter(r -> !r.fallback()).map(Read::variable)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(read).as("CONNECTION_SWAP_* variables the roles read without a row in README.md, section "
                + "Configuration").isSubsetOf(rows.keySet());
    }

    @Test
    void everyRowIsAVariableARoleReads() {
        Set<String> read = reads.stream().map(Read::variable).collect(Collectors.toSet());
        assertThat(rows.keySet()).as("rows of README.md, section Configuration, that no role's defaults read")
                .isSubsetOf(read);
    }

    @Test
    void eachRowNamesTheRolesThatReadIt() {
        Map<String, Set<String>> mismatched = new TreeMap<>();
        for (Row row : rows.values()) {
            Set<String> readBy = reads.stream().filter(r -> r.variable().equals(row.variable()) && !r.fallback())
                    .map(Read::role).collect(Collectors.toCollection(TreeSet::new));
            if (!readBy.isEmpty() && !readBy.equals(row.roles())) {
                mismatched.put(row.variable() + " (README: " + row.roles() + ")", readBy);
            }
        }
        assertThat(mismatched).as("rows whose role column differs from the roles whose defaults read the variable")
                .isEmpty();
    }

    @Test
    void eachRowStatesTheDefaultTheRolesHave() {
        Map<String, String> mismatched = new TreeMap<>();
        for (Read read : reads) {
            Row row = rows.get(read.variable());
            if (row == null || read.fallback() || read.defaultValue().isEmpty()) {
                continue;
            }
            Matcher nested = PLACEHOLDER.matcher(read.defaultValue());
            String expected = nested.lookingAt() ? "`" + nested.group(1) + "`" : "`" + read.defaultValue() + "`";
            boolean stated = nested.lookingAt() ? row.defaultCell().contains(expected)
                    : row.defaultCell().startsWith(expected);
            if (!stated) {
                mismatched.put(read.variable() + " (" + read.role() + ")",
                        "README says '" + row.defaultCell() + "', the defaults give " + expected);
            }
        }
        assertThat(mismatched).as("defaults in README.md, section Configuration, that differ from the roles' own")
                .isEmpty();
    }

    /** The placeholders of one line of a role's defaults, each with its default and whether it is nested. */
    private static List<Read> placeholders(String role, String line) {
        List<Read> found = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(line);
        while (m.find()) {
            String before = line.substring(0, m.start());
            boolean nested = count(before, "${") > count(before, "}");
            found.add(new Read(m.group(1), role, defaultAfter(line, m.end()), nested));
        }
        return found;
    }

    /** The text from {@code start} up to the brace that closes the placeholder opened before it. */
    private static String defaultAfter(String line, int start) {
        int depth = 0;
        for (int i = start; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                if (depth == 0) {
                    return line.substring(start, i);
                }
                depth--;
            }
        }
        throw new IllegalArgumentException("placeholder not closed: " + line);
    }

    private static int count(String text, String token) {
        int n = 0;
        for (int i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + token.length())) {
            n++;
        }
        return n;
    }

    /** The rows of the variables table under "## Configuration", keyed by variable. */
    private static Map<String, Row> configurationRows() throws IOException {
        Map<String, Row> table = new LinkedHashMap<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(ROOT.resolve("README.md"))) {
            if (line.startsWith("## ")) {
                inSection = line.equals("## Configuration");
                continue;
            }
            if (!inSection || !line.startsWith("| `CONNECTION_SWAP_")) {
                continue;
            }
            String[] cells = CELL_SEPARATOR.split(line);
            String variable = cells[1].strip().replace("`", "");
            String roles = cells[3].strip();
            Set<String> roleSet = roles.equals("all") ? new TreeSet<>(ROLES)
                    : Pattern.compile(",\\s*").splitAsStream(roles).collect(Collectors.toCollection(TreeSet::new));
            assertThat(table.put(variable, new Row(variable, cells[2].strip(), roleSet)))
                    .as("a second row for %s", variable).isNull();
        }
        assertThat(table).as("README.md, section Configuration: the variables table").hasSizeGreaterThan(50);
        return table;
    }
}
