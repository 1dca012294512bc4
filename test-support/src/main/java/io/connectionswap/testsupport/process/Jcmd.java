package io.connectionswap.testsupport.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code jcmd <pid> <command...>} against a JVM this one started ({@code GC.class_histogram}, {@code GC.run},
 * {@code JFR.start}, ...), with the {@code jcmd} of this JVM's JDK (the same JDK as the processes it starts).
 */
public final class Jcmd {

    private Jcmd() {
    }

    /**
     * Runs {@code jcmd <pid> <arguments...>} and returns its output. The output goes to a temporary file, not a pipe:
     * a class histogram is far bigger than a pipe buffer.
     *
     * @throws IllegalStateException when jcmd exits with an error (the message ends with its output), does not finish
     *     within {@code timeout} or the wait is interrupted
     * @throws UncheckedIOException when jcmd cannot be run
     */
    public static String run(long pid, Duration timeout, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(jdkTool("jcmd"));
        command.add(Long.toString(pid));
        command.addAll(List.of(arguments));
        String described = "jcmd " + pid + " " + String.join(" ", arguments);
        Path out = null;
        try {
            out = Files.createTempFile("jcmd", ".txt");
            Process jcmd = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!jcmd.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                jcmd.destroyForcibly();
                throw new IllegalStateException(described + " did not finish in " + timeout.toSeconds() + " s");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (jcmd.exitValue() != 0) {
                throw new IllegalStateException(described + " failed (exit " + jcmd.exitValue() + "): " + tail(text));
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + described, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + described + " ran", e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    // a temporary file
                }
            }
        }
    }

    /** A tool of this JVM's JDK ({@code java.home/bin/<name>}), else the one on the PATH. */
    public static String jdkTool(String name) {
        Path tool = Path.of(System.getProperty("java.home"), "bin", name);
        return Files.isExecutable(tool) ? tool.toString() : name;
    }

    /** The end of a long output, for a message. */
    private static String tail(String text) {
        return text.length() < 400 ? text : "..." + text.substring(text.length() - 400);
    }
}
