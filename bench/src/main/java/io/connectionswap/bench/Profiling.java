package io.connectionswap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * JFR over one measurement window ({@code --profile}): the director through {@code jcmd JFR.start/JFR.stop}, the
 * bench JVM (in-JVM workers and client) in-process. Each recording is summarised by {@link JfrHotspots}.
 */
final class Profiling {

    private final ChildProcess director;
    private final Path out;
    private final String name;
    private final Path directorFile;
    private final Path benchFile;
    private final Recording recording;
    private final boolean directorStarted;

    private Profiling(ChildProcess director, Path out, String name) throws IOException, ParseException {
        this.director = director;
        this.out = out;
        this.name = name;
        this.directorFile = out.resolve(name + "-director.jfr");
        this.benchFile = out.resolve(name + "-bench-jvm.jfr");
        Files.deleteIfExists(directorFile);
        this.directorStarted = director.jcmd(Duration.ofSeconds(30), "JFR.start", "name=" + name, "settings=profile",
                "filename=" + directorFile) != null;
        this.recording = new Recording(Configuration.getConfiguration("profile"));
        recording.setName(name);
        recording.start();
    }

    static Profiling start(ChildProcess director, Path out, String name) throws IOException, ParseException {
        return new Profiling(director, out, name);
    }

    Map<String, Object> stop() throws IOException {
        Map<String, Object> result = new LinkedHashMap<>();
        if (directorStarted && director.jcmd(Duration.ofSeconds(60), "JFR.stop", "name=" + name) != null
                && Files.exists(directorFile)) {
            Path text = out.resolve(name + "-director-hotspots.txt");
            Files.writeString(text, JfrHotspots.analyze(directorFile, 25), StandardCharsets.UTF_8);
            result.put("director_jfr", directorFile.toString());
            result.put("director_hotspots", text.toString());
        } else {
            result.put("director_jfr", "jcmd JFR.start/stop failed");
        }
        recording.stop();
        recording.dump(benchFile);
        recording.close();
        Path text = out.resolve(name + "-bench-jvm-hotspots.txt");
        Files.writeString(text, JfrHotspots.analyze(benchFile, 25), StandardCharsets.UTF_8);
        result.put("bench_jvm_jfr", benchFile.toString());
        result.put("bench_jvm_hotspots", text.toString());
        return result;
    }
}
