package io.connectionswap.protocol.tls;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Finds the directory with the PEM files. An explicit directory ({@code CONNECTION_SWAP_CERTS_DIR}) wins;
 * otherwise the repository's {@code certs/} is found by walking up from the working directory and from the
 * location of the running jar, so the binaries start from anywhere inside the repository. The repository commits
 * no PKI: {@code certs/generate.sh} creates one per installation.
 */
public final class CertificateDirectory {

    static final String MARKER = "ca.pem";
    /** The repository's PKI generator, committed in certs/ (the PKI itself is not). */
    static final String GENERATOR = "generate.sh";

    private CertificateDirectory() {
    }

    /** {@link #locate(String, String)} for the services, whose setting is {@code CONNECTION_SWAP_CERTS_DIR}. */
    public static Path locate(String explicitDirectory) {
        return locate(explicitDirectory, "CONNECTION_SWAP_CERTS_DIR");
    }

    /**
     * @param explicitDirectory the directory the user gave, or null/blank to look for the repository's
     * @param setting           where the user gives it, named in the errors ({@code CONNECTION_SWAP_CERTS_DIR}, a
     *                          builder method, a Spring property)
     */
    public static Path locate(String explicitDirectory, String setting) {
        if (explicitDirectory != null && !explicitDirectory.isBlank()) {
            Path dir = Path.of(explicitDirectory).toAbsolutePath().normalize();
            if (!Files.isDirectory(dir)) {
                throw new TlsConfigurationException(setting + "=" + explicitDirectory
                        + " is not a directory (resolved to " + dir + ")");
            }
            return dir;
        }
        Set<Path> starts = new LinkedHashSet<>();
        starts.add(Path.of("").toAbsolutePath());
        codeLocation().ifPresent(starts::add);
        return search(starts, setting);
    }

    /** The repository's certs/ found by walking up from each start in turn; {@code setting} is named in the errors. */
    static Path search(Collection<Path> starts, String setting) {
        Set<Path> tried = new LinkedHashSet<>();
        Path withoutPki = null;
        for (Path start : starts) {
            for (Path dir = start.normalize(); dir != null; dir = dir.getParent()) {
                Path candidate = dir.resolve("certs");
                if (!tried.add(candidate)) {
                    break;   // an earlier start's walk came through here, and went on up from here
                }
                if (Files.isRegularFile(candidate.resolve(MARKER))) {
                    return candidate;
                }
                if (withoutPki == null && Files.isRegularFile(candidate.resolve(GENERATOR))) {
                    withoutPki = candidate;
                }
            }
        }
        if (withoutPki != null) {
            throw new TlsConfigurationException("the repository's " + withoutPki + " has no PKI yet (no " + MARKER
                    + "): create this installation's development CA with " + withoutPki.resolve(GENERATOR)
                    + " --if-missing (./run-local.sh and the tests do it for you), or set " + setting);
        }
        throw new TlsConfigurationException("no certificate directory found: set " + setting + " or start "
                + "the process inside the repository (looked for certs/" + MARKER + " in " + tried + ")");
    }

    private static java.util.Optional<Path> codeLocation() {
        try {
            var source = CertificateDirectory.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return java.util.Optional.empty();
            }
            String location = source.getLocation().toString();
            // inside a Spring Boot fat jar the location is jar:nested:/path/app.jar/!BOOT-INF/lib/...
            int nested = location.indexOf("nested:");
            if (nested >= 0) {
                String path = location.substring(nested + "nested:".length());
                int end = path.indexOf("/!");
                return java.util.Optional.of(Path.of(end >= 0 ? path.substring(0, end) : path).toAbsolutePath().getParent());
            }
            return java.util.Optional.of(Path.of(source.getLocation().toURI()).toAbsolutePath().getParent());
        } catch (URISyntaxException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }
}
