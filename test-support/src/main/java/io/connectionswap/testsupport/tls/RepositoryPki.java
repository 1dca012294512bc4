package io.connectionswap.testsupport.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * This clone's development PKI in the repository's {@code certs/}, which the tests use like {@code run-local.sh}
 * does: nothing of it is committed, so the first test run creates it with {@code certs/generate.sh --if-missing}
 * (openssl; the script takes a lock, so test JVMs and a running {@code run-local.sh} never write it twice). Every
 * test JVM with test-support on its class path gets it before its first test ({@link RepositoryPkiSessionListener});
 * code that needs the directory asks {@link #certs()}.
 */
public final class RepositoryPki {

    private static final Object LOCK = new Object();
    private static volatile Path ready;

    private RepositoryPki() {
    }

    /** The repository's {@code certs/} with a PKI in it; created with {@code certs/generate.sh} when missing. */
    public static Path certs() {
        Path certs = ready;
        if (certs != null) {
            return certs;
        }
        synchronized (LOCK) {
            if (ready == null) {
                Path directory = repositoryRoot().resolve("certs");
                if (!Files.isRegularFile(directory.resolve("ca.pem"))) {
                    generate(directory);
                }
                ready = directory;
            }
            return ready;
        }
    }

    /** The repository root: the first directory upwards from the working directory with {@code certs/generate.sh}. */
    public static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("certs/generate.sh")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root (a directory with pom.xml and certs/generate.sh) above "
                + Path.of("").toAbsolutePath());
    }

    private static void generate(Path directory) {
        Path script = directory.resolve("generate.sh");
        try {
            Process process = new ProcessBuilder("bash", script.toString(), "--if-missing", directory.toString())
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(script + " --if-missing took more than 2 minutes:\n" + output);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(script + " --if-missing failed (exit " + process.exitValue()
                        + "); the tests need this clone's development PKI:\n" + output);
            }
            if (!output.isBlank()) {
                System.out.println("[RepositoryPki] " + output.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + script + " ran", e);
        }
    }
}
