package io.connectionswap.testsupport.process;

import static org.awaitility.Awaitility.await;

import io.connectionswap.testsupport.net.LoopbackHttp;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One role running from its built jar as a separate OS process, with its log in a file and its Actuator on
 * {@code httpPort} ({@code SERVER_PORT}). Signals, waits and logs come from {@link ManagedProcess}; this class adds the
 * test JVM options, the class data archive that makes its start quick ({@link ClassDataArchive}) and the Actuator.
 */
public final class ServiceProcess extends ManagedProcess {

    /** Small heaps and a quick JIT (five JVMs share two cores), and every buffer leak reported. */
    public static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Dio.netty.leakDetection.level=paranoid");

    private final int httpPort;

    public ServiceProcess(String name, Path jar, Map<String, String> environment, int httpPort, Path log) {
        super(launch(name, jar, withServerPort(environment, httpPort), log));
        this.httpPort = httpPort;
    }

    /** {@link #JVM_OPTIONS} and the jar started with its class data archive ({@link ClassDataArchive}). */
    private static Launch launch(String name, Path jar, Map<String, String> environment, Path log) {
        List<String> arguments = ClassDataArchive.arguments(JVM_OPTIONS, jar, environment);
        return new Launch(name, Launch.java(JVM_OPTIONS, arguments.toArray(String[]::new)), environment,
                Launch.SERVICE_SETTINGS, null, log);
    }

    private static Map<String, String> withServerPort(Map<String, String> environment, int httpPort) {
        Map<String, String> all = new HashMap<>(environment);
        all.put("SERVER_PORT", String.valueOf(httpPort));
        return all;
    }

    public int httpPort() {
        return httpPort;
    }

    @Override
    public ServiceProcess start() {
        super.start();
        return this;
    }

    @Override
    public ServiceProcess restart() {
        super.restart();
        return this;
    }

    /** SIGTERM, then SIGKILL when it has not exited after 20 s. */
    public void stop() {
        stop(Duration.ofSeconds(20));
    }

    /** Body of an Actuator endpoint, or null when it does not answer 200. */
    public String get(String path) {
        return LoopbackHttp.getOk(httpPort, path);
    }

    public boolean ready() {
        return get("/actuator/health/readiness") != null;
    }

    /**
     * The log lines containing {@code text}, once there are at least {@code count} of them (logging is asynchronous);
     * fails after 10 s.
     */
    public List<String> awaitLogLines(String text, int count) {
        await("%s: %d log lines with \"%s\"".formatted(name(), count, text)).atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50)).until(() -> logLines(text).size() >= count);
        return logLines(text);
    }

    /** A value per process for messages, e.g. {@code {director=6, worker-a=2}}. */
    public static String describe(Map<ServiceProcess, Double> values) {
        StringBuilder text = new StringBuilder("{");
        values.forEach((process, value) -> text.append(text.length() > 1 ? ", " : "").append(process.name())
                .append('=').append(value.intValue()));
        return text.append('}').toString();
    }

    public PrometheusText metrics() {
        String body = get("/actuator/prometheus");
        if (body == null) {
            throw new IllegalStateException(name() + " does not serve /actuator/prometheus on port " + httpPort);
        }
        return PrometheusText.parse(body);
    }
}
