package io.connectionswap.protocol.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.testsupport.log.CapturedLogs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LogLineTest {

    /** The modules whose log lines users see. */
    private static final Set<String> SHIPPED = Set.of("director-service", "worker-service", "client-service",
            "shared-protocol", "swap-client", "swap-client-spring-boot-starter");

    private final CapturedLogs lines = CapturedLogs.of(LogLineTest.class.getName() + ".lines");
    private final Logger logger = lines.logger();

    @BeforeEach
    void listenAlone() {
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
    }

    @AfterEach
    void stopListening() {
        lines.close();
    }

    private ILoggingEvent only() {
        assertThat(lines.events()).hasSize(1);
        return lines.events().get(0);
    }

    @Test
    void printsTheSeedsLineAndCarriesTheFieldsAsKeyValuePairs() {
        LogLine.info(logger).field("stream.id", 7L).field("connection.id", "conn-3").field("reason", "health")
                .quoted("problem", "io: no route to host").log("swapping stream");

        ILoggingEvent event = only();
        assertThat(event.getFormattedMessage())
                .isEqualTo("stream.id=7 connection.id=conn-3 reason=health problem=\"io: no route to host\" "
                        + "swapping stream");
        assertThat(event.getLevel()).isEqualTo(Level.INFO);
        assertThat(event.getKeyValuePairs()).extracting(pair -> pair.key, pair -> pair.value).containsExactly(
                tuple("stream.id", 7L), tuple("connection.id", "conn-3"), tuple("reason", "health"),
                tuple("problem", "io: no route to host"));
    }

    @Test
    void numbersAndBooleansStayTypedAndOtherValuesBecomeTheirText() {
        LogLine.warn(logger).field("tokens", 12).field("streaming", true)
                .field("drain.timeout", Duration.ofSeconds(30)).field("missing", null).log("done");

        ILoggingEvent event = only();
        assertThat(event.getFormattedMessage())
                .isEqualTo("tokens=12 streaming=true drain.timeout=PT30S missing=null done");
        assertThat(event.getKeyValuePairs()).extracting(pair -> pair.key, pair -> pair.value).containsExactly(
                tuple("tokens", 12), tuple("streaming", true), tuple("drain.timeout", "PT30S"), tuple("missing", null));
    }

    @Test
    void theMessagesPlaceholdersAreFilledButNeverAValues() {
        LogLine.info(logger).quoted("problem", "unexpected {}").log("the director will dial {} at {}", "w:4434", 3);

        assertThat(only().getFormattedMessage())
                .isEqualTo("problem=\"unexpected {}\" the director will dial w:4434 at 3");
    }

    @Test
    void aPeersTextIsCutAndLosesItsControlCharacters() {
        assertThat(LogLine.printable("GET /\r\nX-Injected: yes\u0000", 100)).isEqualTo("GET /??X-Injected: yes?");
        assertThat(LogLine.printable("abcdef", 3)).isEqualTo("abc...");
        assertThat(LogLine.printable("abc", 3)).isEqualTo("abc");
    }

    /** A value from a peer (here a model name) cannot forge a line of its own, nor end its quotes early. */
    @Test
    void controlCharactersAndQuotesInValuesAreEscapedInTheLineButNotInThePairs() {
        String model = "evil\n12:00:00.000 ERROR [main] forged line\r\t\u0000\u2028";

        LogLine.info(logger).field("model", model).quoted("problem", "model '" + model + "\" worker=\"x")
                .log("no worker serves the model");

        ILoggingEvent event = only();
        assertThat(event.getFormattedMessage()).doesNotContain("\n", "\r").isEqualTo(
                "model=\"evil\\n12:00:00.000 ERROR [main] forged line\\r\\t\\u0000\\u2028\" "
                        + "problem=\"model 'evil\\n12:00:00.000 ERROR [main] forged line\\r\\t\\u0000\\u2028\\\" "
                        + "worker=\\\"x\" no worker serves the model");
        assertThat(event.getKeyValuePairs().get(0).value).as("the pair keeps the value").isEqualTo(model);
    }

    /**
     * As logfmt writes them: a field's value with a space, a quote, an equals sign or a control character is quoted:
     * it cannot pass for more fields; inside quotes a backslash is escaped too, so an escape is never the peer's.
     */
    @Test
    void aFieldValueWithASpaceAQuoteAnEqualsSignOrAControlCharacterIsQuotedAndOthersAreNot() {
        LogLine.info(logger).field("model", "a stream.id=7").field("tls.ca", List.of("CN=A CA", "CN=B"))
                .field("label", "say\"hi").field("wide", "a\u3000b").field("plain", "worker-a").field("empty", "")
                .field("path", "C:\\n").field("nul", "a\u0000").field("query", "a=b")
                .quoted("problem", "not \\n but \n").log("line");

        ILoggingEvent event = only();
        assertThat(event.getFormattedMessage()).isEqualTo("model=\"a stream.id=7\" tls.ca=\"[CN=A CA, CN=B]\" "
                + "label=\"say\\\"hi\" wide=\"a\u3000b\" plain=worker-a empty= path=C:\\n nul=\"a\\u0000\" "
                + "query=\"a=b\" problem=\"not \\\\n but \\n\" line");
        assertThat(event.getKeyValuePairs().get(0).value).as("the pair keeps the value").isEqualTo("a stream.id=7");
    }

    @Test
    void aCauseFollowsTheLine() {
        IllegalStateException failure = new IllegalStateException("boom");

        LogLine.error(logger).field("task", "health_poller").cause(failure).log("task failed");

        ILoggingEvent event = only();
        assertThat(event.getFormattedMessage()).isEqualTo("task=health_poller task failed");
        assertThat(event.getThrowableProxy().getMessage()).isEqualTo("boom");
    }

    @Test
    void aLineBelowTheLevelIsNotLoggedAndBuildsNothing() {
        Object notRead = new Object() {
            @Override
            public String toString() {
                throw new AssertionError("a disabled line read its value");
            }
        };

        LogLine.debug(logger).field("stream.id", notRead).quoted("problem", notRead).log("frame");
        LogLine.trace(logger).field("stream.id", notRead).log("frame {}", notRead);

        assertThat(lines.events()).isEmpty();
        assertThat(LogLine.debug(logger)).isSameAs(LogLine.trace(logger));
    }

    @Test
    void keysThatStartOtherKeysTakeTheirPairName() {
        LogLine.info(logger).field("peer", "127.0.0.1:4433").field("peer.cert", "client").field("worker", "worker-a")
                .field("retry.in", "1s").field("retry.in.max", "8s").field("sequence", 17).log("waiting");

        ILoggingEvent event = only();
        assertThat(event.getFormattedMessage())
                .startsWith("peer=127.0.0.1:4433 peer.cert=client worker=worker-a retry.in=1s retry.in.max=8s "
                        + "sequence=17 ");
        assertThat(event.getKeyValuePairs()).extracting(pair -> pair.key).containsExactly("peer.address", "peer.cert",
                "worker.label", "retry.in", "retry.max", "seq");
    }

    @Test
    void aPairNameIsGivenOnce() {
        LogLine.info(logger).field("worker", "worker-a").field("worker.label", "worker-b").log("twice");

        assertThat(only().getKeyValuePairs()).extracting(pair -> pair.key, pair -> pair.value)
                .containsExactly(tuple("worker.label", "worker-a"));
    }

    /**
     * Every key in the project's log lines (read from the sources), under its pair name, is not the start of another:
     * a store that expands dotted names (Elasticsearch) could not hold {@code peer} as text and as an object. And no
     * shipped log line writes {@code key={}} into its message any more: its fields would not be key-value pairs.
     */
    @Test
    void noKeyInTheSourcesIsTheStartOfAnotherAndEveryFieldIsAPair() throws IOException {
        Pattern fieldKey = Pattern.compile("\\.(?:field|quoted)\\(\"([^\"]+)\"");
        Pattern fieldInMessage =
                Pattern.compile("\\b(?:log|tokenLog)\\.(?:trace|debug|info|warn|error)\\(\"[a-z][a-z0-9_.]*=");
        Set<String> names = new TreeSet<>();
        List<String> messagesWithFields = new ArrayList<>();
        Path root = Path.of("").toAbsolutePath().getParent();
        try (Stream<Path> sources = Files.walk(root)) {
            for (Path source : sources.filter(path -> path.toString().endsWith(".java"))
                    .filter(path -> SHIPPED.contains(root.relativize(path).getName(0).toString()))
                    .filter(path -> path.toString().contains("/src/main/java/")).toList()) {
                String text = Files.readString(source);
                Matcher keys = fieldKey.matcher(text);
                while (keys.find()) {
                    names.add(LogLine.PAIR_NAMES.getOrDefault(keys.group(1), keys.group(1)));
                }
                Matcher inMessage = fieldInMessage.matcher(text);
                while (inMessage.find()) {
                    messagesWithFields.add(root.relativize(source) + ": " + inMessage.group());
                }
            }
        }
        assertThat(names).as("keys found in the sources' log lines").contains("stream.id", "connection.id", "reason")
                .hasSizeGreaterThan(50).allMatch(name -> name.matches("[a-z][a-z0-9_.]*[a-z0-9]"));
        for (String name : names) {
            assertThat(names).as("pair names that start with " + name + ".")
                    .noneMatch(other -> other.startsWith(name + "."));
        }
        assertThat(messagesWithFields).as("log lines with key={} in the message instead of LogLine fields").isEmpty();
    }
}
