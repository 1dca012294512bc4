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
import java.util.function.Supplier;

/**
 * Runs an external program to completion with a deadline. Output goes to files (no pipe can fill up and block
 * the program); the result carries both as text. Optionally the output (stdout and stderr merged) is appended to a
 * log file that stays, and a watch ends the program early with the reason it gives.
 */
public final class Command {

    private final List<String> command;
    private final Map<String, String> environment = new java.util.LinkedHashMap<>();
    private Path directory;
    private Duration timeout = Duration.ofMinutes(2);
    private Path log;
    private Supplier<String> abortIf = () -> null;

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

    /**
     * Appends stdout and stderr, merged, to {@code file} (kept after the run); the result's stdout is then what
     * this run appended, its stderr empty.
     */
    public Command log(Path file) {
        this.log = file;
        return this;
    }

    /**
     * Checked while the program runs (four times a second): a non-null answer kills the program at once and
     * {@link #run()} throws an {@link AbortedException} with that reason.
     */
    public Command abortIf(Supplier<String> reason) {
        this.abortIf = reason;
        return this;
    }

    public Result run() {
        Path out;
        Path err;
        long logStart;
        try {
            out = log != null ? log : Files.createTempFile("command-", ".out");
            err = log != null ? null : Files.createTempFile("command-", ".err");
            logStart = log != null && Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            if (log != null) {
                builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            } else {
                builder.redirectOutput(out.toFile()).redirectError(err.toFile());
            }
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
            long deadline = System.nanoTime() + timeout.toNanos();
            try {
                while (!process.waitFor(250, TimeUnit.MILLISECONDS)) {
                    String reason = abortIf.get();
                    if (reason != null) {
                        kill(process);
                        throw new AbortedException(this + " stopped: " + reason);
                    }
                    if (System.nanoTime() - deadline > 0) {
                        kill(process);
                        throw new IllegalStateException(this + " still running after " + timeout + "; "
                                + (log != null ? "output in " + log : "stderr: " + read(err)));
                    }
                }
            } catch (InterruptedException e) {
                kill(process);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + this, e);
            }
            if (log != null) {
                return new Result(this.toString(), process.exitValue(), readFrom(log, logStart), "");
            }
            return new Result(this.toString(), process.exitValue(), read(out), read(err));
        } finally {
            if (log == null) {
                deleteQuietly(out);
                deleteQuietly(err);
            }
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
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

    private static String readFrom(Path file, long offset) {
        try {
            byte[] all = Files.readAllBytes(file);
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
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

    /** A watch given to {@link #abortIf} ended the program early. */
    public static final class AbortedException extends IllegalStateException {
        public AbortedException(String message) {
            super(message);
        }
    }

    /** The program could not be started: not installed, not on the PATH, not executable. */
    public static final class ProgramNotFoundException extends RuntimeException {
        public ProgramNotFoundException(String program, IOException cause) {
            super("cannot run " + program + ": " + cause.getMessage(), cause);
        }
    }
}
