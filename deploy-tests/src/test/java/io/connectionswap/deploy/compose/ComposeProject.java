package io.connectionswap.deploy.compose;

import io.connectionswap.deploy.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One compose project driven with the local {@code docker-compose} (Compose v1) and {@code docker}: a project name
 * of its own, so that everything it creates (containers, network, volumes, the images tagged in its file) can be
 * found and removed again without touching anything else on the engine.
 *
 * <p>Builds use the classic builder with {@code pull=false} ({@code COMPOSE_DOCKER_CLI_BUILD=0}: docker-compose
 * builds through the engine API itself; {@code DOCKER_BUILDKIT=0} in case the docker CLI is ever used). That
 * builder takes a {@code FROM} image that is on the engine as it is; BuildKit would ask a registry for its
 * metadata even then. Every command's output is appended to {@code <logs>/docker-compose.log}.
 */
final class ComposeProject {

    private static final Map<String, String> CLASSIC_BUILD = Map.of(
            "COMPOSE_DOCKER_CLI_BUILD", "0",
            "DOCKER_BUILDKIT", "0");

    private final String name;
    private final Path file;
    private final Path logs;
    private final Path commandLog;

    ComposeProject(String name, Path file, Path logs) {
        if (!name.matches("[a-z0-9][a-z0-9_-]*")) {
            throw new IllegalArgumentException("project name: '" + name + "' (expected: lowercase letters, digits, "
                    + "_ and -)");
        }
        this.name = name;
        this.file = file;
        this.logs = logs;
        this.commandLog = logs.resolve("docker-compose.log");
    }

    String name() {
        return name;
    }

    /** Where the output of every docker-compose command of this project goes. */
    Path commandLog() {
        return commandLog;
    }

    /**
     * {@code up -d --build}: builds every service image, then starts the services in dependency order; returns
     * once every container is started (those with a {@code service_healthy} dependency after it turned healthy).
     * {@code abortIf} is checked while it runs; a non-null answer stops it at once with that reason.
     */
    void up(Duration timeout, Supplier<String> abortIf) {
        Command.Result result = compose("up", "-d", "--build", "--no-color")
                .timeout(timeout).abortIf(abortIf).run();
        if (result.exitCode() != 0) {
            throw new IllegalStateException("docker-compose up failed (exit " + result.exitCode() + "); output in "
                    + commandLog + "; container logs in " + logs + ":\n" + tail(result.stdout(), 30));
        }
    }

    /** {@code host:port} on this machine where the service's container port is published. */
    String publishedAddress(String service, int containerPort) {
        String binding = query("port", service, Integer.toString(containerPort)).timeout(Duration.ofMinutes(1))
                .runOrFail().strip();
        int colon = binding.lastIndexOf(':');
        if (binding.isEmpty() || colon < 0) {
            throw new IllegalStateException(service + ": port " + containerPort + " is not published ("
                    + "`docker-compose port` printed '" + binding + "')");
        }
        return "127.0.0.1:" + binding.substring(colon + 1);
    }

    /** The id of the service's one container. */
    String containerId(String service) {
        List<String> ids = query("ps", "-q", service).timeout(Duration.ofMinutes(1)).runOrFail().strip()
                .lines().filter(line -> !line.isBlank()).toList();
        if (ids.size() != 1) {
            throw new IllegalStateException("service " + service + " has " + ids.size() + " containers: " + ids);
        }
        return ids.get(0);
    }

    /** Writes each service's container log to {@code <logs>/<service>.log}; best effort, for diagnosis. */
    void saveLogs(List<String> services) {
        for (String service : services) {
            try {
                Command.Result result = query("logs", "--no-color", "--timestamps", service)
                        .timeout(Duration.ofMinutes(1)).run();
                Files.writeString(logs.resolve(service + ".log"), result.stdout() + result.stderr());
            } catch (IOException | RuntimeException e) {
                appendQuietly("could not save the log of " + service + ": " + e + "\n");
            }
        }
    }

    /**
     * {@code down -v --rmi all --remove-orphans}: removes this project's containers, network and volumes, and the
     * images its services are tagged with (tags unique to this project, see {@link ComposeStackFile}); the base
     * image they were built from stays. Returns the failure, or null.
     */
    String down() {
        Command.Result result = compose("down", "-v", "--rmi", "all", "--remove-orphans", "--timeout", "10")
                .timeout(Duration.ofMinutes(3)).run();
        return result.exitCode() == 0 ? null : result.describe();
    }

    private Command compose(String... arguments) {
        return Command.of(command(arguments)).env(CLASSIC_BUILD).log(commandLog);
    }

    /** A command whose stdout is parsed: not logged (stderr, with any warnings, stays apart). */
    private Command query(String... arguments) {
        return Command.of(command(arguments)).env(CLASSIC_BUILD);
    }

    private String[] command(String... arguments) {
        List<String> command = new ArrayList<>(List.of("docker-compose", "--project-name", name,
                "--file", file.toString()));
        command.addAll(List.of(arguments));
        return command.toArray(String[]::new);
    }

    private void appendQuietly(String text) {
        try {
            Files.writeString(commandLog, text, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // diagnostics only
        }
    }

    private static String tail(String text, int lines) {
        List<String> all = text.strip().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
