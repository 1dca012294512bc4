package io.connectionswap.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external program to completion with a deadline. Output goes to files (no pipe can fill up and block
 * the program); the result carries both as text.
 */
public final class Command {

    private final List<String> command;
    private final Map<String, String> environment = new java.util.LinkedHashMap<>();
    private Path directory;
    private Duration timeout = Duration.ofMinutes(2);

    private Command(List<String> command) {
        this.command = List.copyOf(command);
    }

    public static Command of(String... command) {
        return new Command(List.of(command));
    }

    public Command env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    public Command env(Map<String, String> values) {
        environment.putAll(values);
        return this;
    }

    public Command directory(Path directory) {
        this.directory = directory;
        return this;
    }

    public Command timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    public Result run() {
        Path out;
        Path err;
        try {
            out = Files.createTempFile("command-", ".out");
            err = Files.createTempFile("command-", ".err");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().putAll(environment);
            if (directory != null) {
                builder.directory(directory.toFile());
            }
            Process process;
            try {
                process = builder.start();
            } catch (IOException e) {
                throw new ProgramNotFoundException(command.get(0), e);
            }
            boolean finished;
            try {
                finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + this, e);
            }
            if (!finished) {
                process.destroyForcibly();
                throw new IllegalStateException(this + " still running after " + timeout + "; stderr: "
                        + read(err));
            }
            return new Result(this.toString(), process.exitValue(), read(out), read(err));
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** Runs and returns stdout; a non-zero exit becomes an exception carrying stderr. */
    public String runOrFail() {
        Result result = run();
        if (result.exitCode() != 0) {
            throw new IllegalStateException(result.describe());
        }
        return result.stdout();
    }

    @Override
    public String toString() {
        List<String> shown = new ArrayList<>();
        environment.forEach((k, v) -> shown.add(k + "=" + v));
        shown.addAll(command);
        return "`" + String.join(" ", shown) + "`";
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }

    public record Result(String command, int exitCode, String stdout, String stderr) {
        public String describe() {
            return command + " exited with " + exitCode + (stderr.isBlank() ? "" : "; stderr:\n" + stderr.strip())
                    + (stdout.isBlank() ? "" : "\nstdout:\n" + stdout.strip());
        }
    }

    /** The program could not be started: not installed, not on the PATH, not executable. */
    public static final class ProgramNotFoundException extends RuntimeException {
        public ProgramNotFoundException(String program, IOException cause) {
            super("cannot run " + program + ": " + cause.getMessage(), cause);
        }
    }
}
