package io.connectionswap.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths inside the repository this module belongs to, found from any working directory below it. */
public final class Repository {

    private static final Path ROOT = findRoot();

    private Repository() {
    }

    public static Path root() {
        return ROOT;
    }

    public static Path resolve(String relative) {
        return ROOT.resolve(relative);
    }

    /** {@code target/<name>} of this module, created if missing. */
    public static Path buildDirectory(String name) {
        Path dir = ROOT.resolve("deploy-tests").resolve("target").resolve(name);
        try {
            return Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + dir, e);
        }
    }

    private static Path findRoot() {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("k8s/kustomization.yaml"))
                    && Files.isRegularFile(dir.resolve("docker-compose.yml"))
                    && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root (a directory with pom.xml, docker-compose.yml and "
                + "k8s/kustomization.yaml) above " + start);
    }
}
