package io.connectionswap.client.page;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.testsupport.tools.ExternalTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live page's script (static/app.js) against a stand-in of the browser, in Node: {@code node --test
 * src/test/js/} (Node 18 or newer, no packages; the same command runs them by hand). Each case drives the page the
 * way a user and the gateway would (a key typed, a 401, a director that comes back) and reads what the page shows.
 * The page in a real browser, against the real jars, is {@code LivePageBrowserIT} (system-tests).
 */
class LivePageScriptTest {

    @Test
    void theLivePageScriptPassesItsNodeTests(@TempDir Path temporary) throws IOException, InterruptedException {
        Path node = ExternalTool.NODE.require(LivePageScriptTest.class);
        Path log = temporary.resolve("node-test.log");
        Process process = new ProcessBuilder(node.toString(), "--test", "src/test/js/")
                .directory(Path.of("").toAbsolutePath().toFile()) // the module's directory, as Maven runs tests
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        boolean ended = process.waitFor(2, TimeUnit.MINUTES);
        if (!ended) {
            process.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(ended).as("node --test ended within 2 minutes; its output:%n%s", output).isTrue();
        assertThat(process.exitValue()).as("node --test src/test/js/ (its output):%n%s", output).isZero();
        assertThat(output).as("the cases ran").containsPattern("(?m)^# pass [1-9]").contains("# fail 0");
    }
}
