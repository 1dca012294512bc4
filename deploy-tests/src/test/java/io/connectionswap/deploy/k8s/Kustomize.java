package io.connectionswap.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectionswap.deploy.Command;
import io.connectionswap.deploy.Repository;
import io.connectionswap.testsupport.tools.ExternalTool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code kubectl kustomize}, offline, on the repository's {@code k8s/} or on a copy of it under {@code target/}.
 *
 * <p>The dev overlay needs the development PKI that {@code k8s/overlays/dev/generate-certs.sh} writes into the
 * overlay; the checks never write into the worktree, so they render a copy in which they ran the script
 * ({@link #devCopy}). Renders are kept for the whole JVM: every test class sees the same objects.
 */
final class Kustomize {

    /** kustomize v5 (kubectl 1.27+) reads the {@code labels} field k8s/ uses; kubectl 1.20's kustomize does not. */
    static final int MIN_KUBECTL_MINOR = 27;
    static final String DEV_SCRIPT = "k8s/overlays/dev/generate-certs.sh";
    /** Where the script writes, inside the dev overlay (git-ignored). */
    static final String DEV_PKI = "k8s/overlays/dev/certs-from-generate-certs.sh";
    static final ExternalTool OPENSSL = new ExternalTool("openssl", "install with apt-get install openssl");

    private static final Map<String, Manifests> RENDERED = new ConcurrentHashMap<>();
    private static final Map<String, Path> COPIES = new ConcurrentHashMap<>();

    private Kustomize() {
    }

    /** The dev overlay as {@code kubectl apply -k k8s} installs it, after the script made the development PKI. */
    static Manifests dev(Class<?> test) {
        requireTools(test, true);
        return RENDERED.computeIfAbsent("dev", k -> Manifests.parse(render(devCopy(test).resolve("k8s"))));
    }

    static Manifests production(Class<?> test) {
        requireTools(test, false);
        return RENDERED.computeIfAbsent("production",
                k -> Manifests.parse(render(Repository.resolve("k8s/overlays/production"))));
    }

    static Manifests base(Class<?> test) {
        requireTools(test, false);
        return RENDERED.computeIfAbsent("base", k -> Manifests.parse(render(Repository.resolve("k8s/base"))));
    }

    /**
     * A copy of the repository's {@code k8s/} and {@code certs/} scripts (same layout) where
     * {@code generate-certs.sh} has run once. Never the worktree's own PKI: that directory is left out.
     */
    static Path devCopy(Class<?> test) {
        requireTools(test, true);
        return COPIES.computeIfAbsent("dev", name -> {
            Path root = freshCopy(name);
            Command.Result result = runDevScript(root);
            assertThat(result.exitCode()).as("%s", result.describe()).isZero();
            return root;
        });
    }

    /** A new copy, without the development PKI: what a fresh clone has. */
    static Path freshCopy(String name) {
        Path root = Repository.buildDirectory("k8s-copies").resolve(name);
        deleteTree(root);
        copyTree(Repository.resolve("k8s"), root.resolve("k8s"));
        // certs/generate.sh and whatever else it may need, but no PKI of the worktree's
        try (Stream<Path> files = Files.list(Repository.resolve("certs"))) {
            Files.createDirectories(root.resolve("certs"));
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String fileName = file.getFileName().toString();
                if (!fileName.endsWith(".pem") && !fileName.endsWith(".key") && !fileName.endsWith(".srl")) {
                    Files.copy(file, root.resolve("certs").resolve(fileName), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return root;
    }

    static Command.Result runDevScript(Path root, String... args) {
        String[] command = new String[args.length + 1];
        command[0] = root.resolve(DEV_SCRIPT).toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return Command.of(command).directory(root).timeout(Duration.ofMinutes(1)).run();
    }

    /** Renders and fails (with kustomize's message) unless it worked. */
    static String render(Path directory) {
        Command.Result result = tryRender(directory);
        assertThat(result.exitCode()).as("%s", result.describe()).isZero();
        return result.stdout();
    }

    static Command.Result tryRender(Path directory) {
        Path kubectl = ExternalTool.KUBECTL.require(Kustomize.class);
        return Command.of(kubectl.toString(), "kustomize", directory.toString())
                .timeout(Duration.ofMinutes(2)).run();
    }

    /** A kustomization in {@code target/<name>/} with these resources and components (paths relative to it). */
    static Path overlay(String name, Path resource, Path component) {
        Path dir = Repository.buildDirectory(name);
        try {
            Files.writeString(dir.resolve("kustomization.yaml"), String.join("\n",
                    "apiVersion: kustomize.config.k8s.io/v1beta1",
                    "kind: Kustomization",
                    "resources: [" + dir.relativize(resource) + "]",
                    component == null ? "" : "components: [" + dir.relativize(component) + "]",
                    ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /**
     * kubectl 1.27 or newer (and openssl, for the dev PKI): otherwise one MISSING TOOL line and a
     * {@code TestAbortedException} (a skip), or a failure under {@code CI=true}.
     */
    static void requireTools(Class<?> test, boolean openssl) {
        Path kubectl = ExternalTool.KUBECTL.require(test);
        String json = Command.of(kubectl.toString(), "version", "--client", "-o", "json")
                .timeout(Duration.ofMinutes(1)).runOrFail();
        JsonNode version;
        try {
            version = new ObjectMapper().readTree(json).path("clientVersion");
        } catch (IOException e) {
            throw new IllegalStateException("`kubectl version --client -o json` printed no JSON: " + json, e);
        }
        Matcher minor = Pattern.compile("(\\d+).*").matcher(version.path("minor").asText());
        if (!"1".equals(version.path("major").asText()) || !minor.matches()
                || Integer.parseInt(minor.group(1)) < MIN_KUBECTL_MINOR) {
            throw ExternalTool.KUBECTL.unavailable(test, "kubectl "
                    + version.path("gitVersion").asText("(unknown version)") + " is too old: 1."
                    + MIN_KUBECTL_MINOR + " or newer needed");
        }
        if (openssl) {
            OPENSSL.require(test);
        }
    }

    private static void copyTree(Path from, Path to) {
        Path skip = Repository.resolve(DEV_PKI);
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                if (source.startsWith(skip)) {
                    continue;
                }
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
