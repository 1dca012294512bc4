package io.connectionswap.testsupport.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

class ExternalToolTest {

    private static final ExternalTool MISSING = new ExternalTool("no-such-tool-4711", "install with apt-get install nothing");

    @TempDir
    Path bin;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private PrintStream original;

    @BeforeEach
    void captureStdout() {
        original = System.out;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStdout() {
        System.setOut(original);
    }

    @Test
    void findsAnExecutableOnThePath() throws Exception {
        Path tool = Files.writeString(bin.resolve("my-tool"), "#!/bin/sh\nexit 0\n");
        tool.toFile().setExecutable(true);
        ExternalTool myTool = new ExternalTool("my-tool", "nothing");

        assertThat(myTool.require(ExternalToolTest.class, Map.of("PATH", "/nonexistent:" + bin)))
                .isEqualTo(tool);
        assertThat(myTool.requireWorking(ExternalToolTest.class, Map.of("PATH", bin.toString()), "info"))
                .isEqualTo(tool);
        assertThat(printed.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void aNonExecutableFileIsNotTheTool() throws Exception {
        Files.writeString(bin.resolve("my-tool"), "not a program");
        assertThat(new ExternalTool("my-tool", "nothing").find(Map.of("PATH", bin.toString()))).isEmpty();
    }

    @Test
    void missingToolSkipsWithOneLoudLineOutsideCi() {
        Map<String, String> env = Map.of("PATH", bin.toString());
        String expected = "MISSING TOOL: no-such-tool-4711 (not on the PATH; install with apt-get install nothing); "
                + "ExternalToolTest skipped";

        assertThatThrownBy(() -> MISSING.require(ExternalToolTest.class, env))
                .isInstanceOf(TestAbortedException.class).hasMessageContaining(expected);
        assertThatThrownBy(() -> MISSING.require(ExternalToolTest.class, env))
                .isInstanceOf(TestAbortedException.class);
        assertThat(printed.toString(StandardCharsets.UTF_8).lines()).containsExactly(expected);
    }

    @Test
    void missingToolFailsUnderCi() {
        Map<String, String> env = Map.of("PATH", bin.toString(), "CI", "true");

        assertThatThrownBy(() -> MISSING.require(ExternalToolTest.class, env))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("MISSING TOOL: no-such-tool-4711 (not on the PATH")
                .hasMessageEndingWith("ExternalToolTest FAILS: with CI=true a missing tool is never a silent skip");
        assertThat(printed.toString(StandardCharsets.UTF_8)).startsWith("MISSING TOOL: no-such-tool-4711");
    }

    @Test
    void aToolWhoseProbeFailsIsUnavailable() throws Exception {
        Path tool = Files.writeString(bin.resolve("broken-tool"),
                "#!/bin/sh\necho 'Cannot connect to the engine' >&2\nexit 3\n");
        tool.toFile().setExecutable(true);
        ExternalTool broken = new ExternalTool("broken-tool", "install nothing");

        assertThatThrownBy(() -> broken.requireWorking(ExternalToolTest.class, Map.of("PATH", bin.toString()), "info"))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("MISSING TOOL: broken-tool (`broken-tool info` exited with 3: "
                        + "Cannot connect to the engine; install nothing); ExternalToolTest skipped");
    }

    @Test
    void namesAreProgramNamesNotPaths() {
        assertThatThrownBy(() -> new ExternalTool("/usr/bin/docker", "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without a path");
    }
}
