package io.connectionswap.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where things are: the repository, the service jars, the JDK's tools. */
final class Paths {

    private Paths() {
    }

    static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("director-service/pom.xml")) && Files.exists(dir.resolve("certs/ca.pem"))) {
                return dir;
            }
        }
        throw new IllegalStateException("repository root not found above " + Path.of("").toAbsolutePath());
    }

    /** The service jar: run.sh's private copy (-Dbench.jars) so that a build in the tree cannot replace it mid-run. */
    static Path serviceJar(Path root, String service) {
        String copies = System.getProperty("bench.jars");
        if (copies != null && Files.isRegularFile(Path.of(copies, service + ".jar"))) {
            return Path.of(copies, service + ".jar");
        }
        return root.resolve(service + "/target/" + service + ".jar");
    }

    static String jdkTool(String name) {
        Path tool = Path.of(System.getProperty("java.home"), "bin", name);
        return Files.isExecutable(tool) ? tool.toString() : name;
    }
}
