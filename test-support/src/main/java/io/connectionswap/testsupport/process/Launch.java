package io.connectionswap.testsupport.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What a {@link ManagedProcess} runs: its name (for messages), command line, the environment variables it is given,
 * which of this JVM's variables it must not inherit, its working directory and the log file its output is appended to.
 *
 * @param name for messages and logs, e.g. {@code worker-a}
 * @param command the program and its arguments; {@link #java} builds one for this JVM's {@code java}
 * @param environment set on top of the inherited environment
 * @param unsetInherited names of inherited variables removed before {@code environment} is set
 * @param directory working directory, or null for this JVM's
 * @param log stdout and stderr are appended here
 */
public record Launch(String name, List<String> command, Map<String, String> environment,
                     Predicate<String> unsetInherited, Path directory, Path log) {

    /**
     * Inherited variables a service of this project would read as its own configuration: {@code CONNECTION_SWAP_*} and
     * {@code SERVER_PORT}. A service started by a test gets exactly the settings the test gives it.
     */
    public static final Predicate<String> SERVICE_SETTINGS =
            key -> key.startsWith("CONNECTION_SWAP_") || key.equals("SERVER_PORT");

    public Launch {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: " + name + " (expected: not blank)");
        }
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("command of " + name + ": " + command + " (expected: a program)");
        }
        if (log == null) {
            throw new IllegalArgumentException("log of " + name + ": null (expected: a file)");
        }
        command = List.copyOf(command);
        environment = Map.copyOf(environment);
        if (unsetInherited == null) {
            throw new IllegalArgumentException("unsetInherited of " + name + ": null (expected: a predicate)");
        }
    }

    /** {@code command} run in this JVM's working directory with the whole inherited environment and nothing added. */
    public static Launch of(String name, List<String> command, Path log) {
        return new Launch(name, command, Map.of(), key -> false, null, log);
    }

    /** The same, with {@code environment} set on top of the inherited one. */
    public Launch withEnvironment(Map<String, String> environment) {
        return new Launch(name, command, environment, unsetInherited, directory, log);
    }

    /** The same, without the inherited variables {@code unset} accepts (e.g. {@link #SERVICE_SETTINGS}). */
    public Launch withUnsetInherited(Predicate<String> unset) {
        return new Launch(name, command, environment, unset, directory, log);
    }

    /** The same, run in {@code directory}. */
    public Launch withDirectory(Path directory) {
        return new Launch(name, command, environment, unsetInherited, directory, log);
    }

    /**
     * {@code <java> <jvmOptions> <arguments>} with the {@code java} of this JVM (the same JDK), e.g.
     * {@code java(List.of("-Xmx256m"), "-jar", jar.toString())}.
     */
    public static List<String> java(List<String> jvmOptions, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.addAll(List.of(arguments));
        return command;
    }

    /** {@code <java> <jvmOptions> -cp <classpath> <mainClass> <arguments>} with the {@code java} of this JVM. */
    public static List<String> javaMain(List<String> jvmOptions, String classpath, String mainClass, List<String> arguments) {
        List<String> tail = new ArrayList<>(List.of("-cp", classpath, mainClass));
        tail.addAll(arguments);
        return java(jvmOptions, tail.toArray(String[]::new));
    }
}
