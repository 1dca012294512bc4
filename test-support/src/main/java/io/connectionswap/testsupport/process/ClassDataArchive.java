package io.connectionswap.testsupport.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * How a test starts a Spring Boot jar quickly: from its extracted form ({@code java -Djarmode=tools -jar <jar>
 * extract}, Spring Boot's documented layout for class data sharing) with a dynamic class data sharing archive of the
 * classes a start loads ({@code -XX:ArchiveClassesAtExit} during one run that exits once the context is refreshed,
 * {@code -Dspring.context.exit=onRefresh}). Started that way, a JVM maps those classes from the archive instead of
 * reading, parsing and verifying them again: the director's start took 5.5 s instead of 15 s on a loaded 2-core VM,
 * and most of the CPU of a start is saved, which is what the ITs wait on when four JVMs start on two cores. The
 * application, its classes and its settings are the same; only how the JVM loads the classes differs.
 *
 * <p>One archive per build of a jar (its size and modification time name the directory under
 * {@code target/cds/} beside it), made the first time a test starts that jar, with that start's environment, and kept
 * for later test JVMs. When it cannot be made (the training run fails, e.g. a test's deliberately broken settings),
 * the jar is started as {@code java -jar} and a later start tries again, {@value #ATTEMPTS} times at most.
 */
final class ClassDataArchive {

    private static final int ATTEMPTS = 3;
    private static final Duration TRAINING_LIMIT = Duration.ofMinutes(3);
    /** A JVM that cannot map the archive runs without it and says so on stdout: not in a role's log (JSON lines). */
    private static final String QUIET = "-Xlog:cds=off,cds+dynamic=off";
    private static final Map<Path, ClassDataArchive> BY_JAR = new ConcurrentHashMap<>();

    private final Path jar;
    private final Path directory;
    private int attempts;
    private boolean ready;

    private ClassDataArchive(Path jar) {
        this.jar = jar;
        this.directory = jar.resolveSibling("cds").resolve(jar.getFileName().toString().replaceFirst("\\.jar$", "")
                + "-" + stamp(jar));
        this.ready = Files.isRegularFile(archive()) && Files.isRegularFile(extractedJar());
    }

    /**
     * What follows {@code jvmOptions} on the command line to start {@code jar}: the archive and the extracted jar, or
     * {@code -jar <jar>} when there is no archive (or no jar). Makes the archive first when this jar build has none yet.
     */
    static List<String> arguments(List<String> jvmOptions, Path jar, Map<String, String> environment) {
        if (!Files.isRegularFile(jar)) {
            return List.of("-jar", jar.toString()); // the start says the jar is missing
        }
        ClassDataArchive archive = BY_JAR.compute(jar.toAbsolutePath(), (key, known) -> {
            ClassDataArchive current = new ClassDataArchive(key); // reads the jar's size and time once
            return known != null && known.directory.equals(current.directory) ? known : current;
        });
        synchronized (archive) {
            if (!archive.ready && archive.attempts < ATTEMPTS) {
                archive.attempts++;
                archive.ready = archive.make(jvmOptions, environment);
            }
            return archive.ready
                    ? List.of("-XX:SharedArchiveFile=" + archive.archive(), QUIET, "-jar", archive.extractedJar().toString())
                    : List.of("-jar", jar.toString());
        }
    }

    private Path archive() {
        return directory.resolve("app.jsa");
    }

    private Path extractedJar() {
        return directory.resolve("app").resolve(jar.getFileName());
    }

    private boolean make(List<String> jvmOptions, Map<String, String> environment) {
        try {
            if (!Files.isRegularFile(extractedJar())) {
                deleteEarlierBuilds();
                Files.createDirectories(directory);
                if (!run("extract", Launch.java(List.of(), "-Djarmode=tools", "-jar", jar.toString(), "extract",
                        "--destination", directory.resolve("app").toString()), Map.of())) {
                    return false;
                }
            }
            Path training = directory.resolve("app.jsa.training");
            Files.deleteIfExists(training);
            List<String> options = new ArrayList<>(jvmOptions);
            options.addAll(List.of("-XX:ArchiveClassesAtExit=" + training, "-Dspring.context.exit=onRefresh"));
            if (!run("training", Launch.java(options, "-jar", extractedJar().toString()), environment)
                    || !Files.isRegularFile(training)) {
                return false;
            }
            Files.move(training, archive(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the class data archive of " + jar + " in " + directory, e);
        }
    }

    /** Runs one step with its output in {@code <step>.log} of the archive's directory; true when it exited with 0. */
    private boolean run(String step, List<String> command, Map<String, String> environment) {
        ManagedProcess process = new ManagedProcess(new Launch(step + " of " + jar.getFileName(), command, environment,
                Launch.SERVICE_SETTINGS, null, directory.resolve(step + ".log")));
        process.start();
        if (!process.waitForExit(TRAINING_LIMIT)) {
            process.killNow();
            return false;
        }
        return process.process().exitValue() == 0;
    }

    /** This jar's archives of earlier builds (and a half-made one of this build): they are never used again. */
    private void deleteEarlierBuilds() throws IOException {
        Path parent = directory.getParent();
        if (!Files.isDirectory(parent)) {
            return;
        }
        String prefix = jar.getFileName().toString().replaceFirst("\\.jar$", "") + "-";
        try (Stream<Path> builds = Files.list(parent)) {
            for (Path build : builds.filter(path -> path.getFileName().toString().startsWith(prefix)).toList()) {
                deleteTree(build);
            }
        }
    }

    private static String stamp(Path jar) {
        try {
            return Files.size(jar) + "-" + Files.getLastModifiedTime(jar).toMillis();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jar, e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
