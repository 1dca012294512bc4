package io.connectionswap.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where things are: the repository, the development PKI, the service jars. */
final class Paths {

    private Paths() {
    }

    static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("director-service/pom.xml")) && Files.exists(dir.resolve("certs/generate.sh"))) {
                return dir;
            }
        }
        throw new IllegalStateException("repository root not found above " + Path.of("").toAbsolutePath());
    }

    /** This clone's development PKI in certs/ (none is committed): created with certs/generate.sh when missing. */
    static Path developmentPki(Path root) {
        Path certs = root.resolve("certs");
        try {
            Process generate = new ProcessBuilder("bash", certs.resolve("generate.sh").toString(), "--if-missing")
                    .inheritIO().start();
            if (generate.waitFor() != 0) {
                throw new IllegalStateException("certs/generate.sh --if-missing failed (exit " + generate.exitValue()
                        + "): the bench needs this clone's development PKI");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot run certs/generate.sh", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while certs/generate.sh ran", e);
        }
        return certs;
    }

    /** The service jar: run.sh's private copy (-Dbench.jars) so that a build in the tree cannot replace it mid-run. */
    static Path serviceJar(Path root, String service) {
        String copies = System.getProperty("bench.jars");
        if (copies != null && Files.isRegularFile(Path.of(copies, service + ".jar"))) {
            return Path.of(copies, service + ".jar");
        }
        return root.resolve(service + "/target/" + service + ".jar");
    }
}
