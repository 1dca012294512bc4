package io.connectionswap.deploy.compose;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Notices any image pull while a test runs, so that the test fails at once naming the image instead of waiting on
 * a registry that cannot be reached:
 * <ul>
 *   <li>the engine's own events ({@code docker events --filter type=image --filter event=pull}), from the moment
 *       this watch was created ({@code --since}, so nothing is missed while the stream starts). The engine reports
 *       a pull that succeeded, i.e. one that would have made the test depend on a registry where one is
 *       reachable;</li>
 *   <li>the output of the docker-compose commands the test runs ({@link #scan}): a pull attempt shows there at
 *       once ({@code Pulling <service> (<image>)...}, or the builder's {@code <tag>: Pulling from <repo>}), even
 *       one that then hangs or fails.</li>
 * </ul>
 */
final class PullWatch implements AutoCloseable {

    /** docker-compose v1: "Pulling worker (busybox:1)...", the classic builder: "17-jre: Pulling from library/x". */
    private static final Pattern PULLING = Pattern.compile(
            "(?m)^.*?(?:Pulling \\S+ \\((?<image>[^)]+)\\)|(?<tag>\\S+): Pulling from (?<repo>\\S+)).*$");

    /** Marks an event line; anything else on the stream is an error of {@code docker events} itself. */
    private static final String EVENT = "pull-event ";

    private final Process events;
    private final List<String> pulled = new CopyOnWriteArrayList<>();
    private final List<String> errors = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private PullWatch(Process events) {
        this.events = events;
        this.reader = new Thread(this::read, "docker-events-pull-watch");
        reader.setDaemon(true);
        reader.start();
    }

    static PullWatch start() {
        long since = Instant.now().getEpochSecond() - 1;
        try {
            Process process = new ProcessBuilder("docker", "events", "--since", Long.toString(since),
                    "--filter", "type=image", "--filter", "event=pull", "--format", EVENT + "{{.ID}}")
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            return new PullWatch(process);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start `docker events`", e);
        }
    }

    /** The first image pulled (or being pulled, per {@code output}), as a failure message; null when none. */
    String problem(Path... outputs) {
        if (!pulled.isEmpty()) {
            return "IMAGE PULL: the engine pulled " + pulled + "; this test must never pull: every image it "
                    + "needs is built locally (docker/offline-base-image.sh)";
        }
        for (Path output : outputs) {
            String attempt = scan(output);
            if (attempt != null) {
                return "IMAGE PULL: docker-compose started to pull " + attempt + " (see " + output + "); this test "
                        + "must never pull: every image it needs is built locally (docker/offline-base-image.sh)";
            }
        }
        if (!events.isAlive()) {
            return "`docker events` (the pull watch) ended with exit code " + events.exitValue() + ": " + errors;
        }
        return null;
    }

    /** The image a pull line in {@code output} names, or null when it has none (or does not exist yet). */
    static String scan(Path output) {
        String text;
        try {
            text = Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return null;
        }
        Matcher matcher = PULLING.matcher(text);
        if (!matcher.find()) {
            return null;
        }
        return matcher.group("image") != null ? matcher.group("image")
                : matcher.group("repo") + ":" + matcher.group("tag");
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(events.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith(EVENT)) {
                    pulled.add(line.substring(EVENT.length()).strip());
                } else if (!line.isBlank()) {
                    errors.add(line.strip());
                }
            }
        } catch (IOException ignored) {
            // the process was stopped by close()
        }
    }

    @Override
    public void close() {
        events.destroy();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
