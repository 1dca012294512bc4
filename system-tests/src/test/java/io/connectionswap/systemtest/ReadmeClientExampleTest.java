package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.swapclient.SwapClientListener;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.connectionswap.systemtest.support.ReadmeCodeBlocks;
import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.testsupport.tls.RepositoryPki;
import io.netty.channel.EventLoopGroup;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Publisher;
import reactor.adapter.JdkFlowAdapter;

/**
 * The Java example of the README's "Use it from an application", as written there, compiled by javac against the
 * client library and run against a director with a worker: it streams the tokens of "Once upon a time" and they are
 * the stand-in's text. Only the director's address and the certificates' directory are put in for the example's
 * placeholders; a README change that no longer compiles or streams fails here. At an address where nothing listens it
 * ends, by its bounded wait, saying why.
 */
class ReadmeClientExampleTest {

    private static final String CLASS = "ReadmeClientExample";

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("20ms");

    @Test
    void theReadmeClientExampleCompilesAndStreams(@TempDir Path work) throws Exception {
        String example = readmeExample();
        assertThat(example).contains("\"127.0.0.1:61000\"", "\"/path/to/certs\"", ".doOnNext(System.out::print)");
        cluster.startDirector();
        cluster.startWorker("worker-a", 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.registry().healthyCount() == 1);

        try (URLClassLoader loader = compile(work, example, "127.0.0.1:" + cluster.directorPort())) {
            Class<?> compiled = loader.loadClass(CLASS);
            Method run = compiled.getMethod("run", SwapClientListener.class);
            StringBuffer out = (StringBuffer) compiled.getField("OUT").get(null);
            // as a main would: the example returns once the generation is over, the client closed
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run.invoke(null, new SwapClientListener() {
            }));
            assertThat(out.toString()).as("printed when the example returned")
                    .isEqualTo(new DeterministicTokenModel().text("Once upon a time", 1, maxTokens(example)));
        }
    }

    /**
     * The example at an address where no director listens (the mistake a new user makes first): it ends, by its
     * bounded wait, with NO_HEALTHY_WORKER naming the address and what went wrong, instead of blocking for good.
     */
    @Test
    void theReadmeClientExampleAtAWrongAddressEndsSayingWhy(@TempDir Path work) throws Exception {
        String example = readmeExample();
        assertThat(example).as("the example bounds its wait").contains("Duration.ofSeconds(30)");
        String nobody = "127.0.0.1:" + Ports.freeUdpPort();
        try (URLClassLoader loader = compile(work, example.replace("Duration.ofSeconds(30)", "Duration.ofSeconds(1)"),
                nobody)) {
            Method run = loader.loadClass(CLASS).getMethod("run", SwapClientListener.class);
            Throwable thrown = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                try {
                    run.invoke(null, new SwapClientListener() {
                    });
                    return null;
                } catch (InvocationTargetException e) {
                    return e.getCause();
                }
            });
            assertThat(thrown).as("what blockLast() throws").isInstanceOfSatisfying(GenerationException.class,
                    failure -> {
                        assertThat(failure.code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
                        assertThat(failure.detail()).startsWith("no connection to a director within PT1S: cannot "
                                + "connect to director " + nobody);
                    });
        }
    }

    /**
     * The example with only the director's address and the certificates' directory put in for its placeholders, and
     * what it prints kept in {@code OUT}, compiled by javac as the body of {@code run(SwapClientListener myMetrics)}.
     */
    private URLClassLoader compile(Path work, String example, String director) throws Exception {
        String body = example.replace("\"127.0.0.1:61000\"", "\"" + director + "\"")
                .replace("\"/path/to/certs\"", "\"" + RepositoryPki.certs().toString().replace("\\", "\\\\") + "\"")
                .replace(".doOnNext(System.out::print)", ".doOnNext(OUT::append)");
        Path source = work.resolve(CLASS + ".java");
        Files.writeString(source, """
                import io.connectionswap.protocol.message.SamplingParameters;
                import io.connectionswap.swapclient.GenerationEvent;
                import io.connectionswap.swapclient.GenerationOptions;
                import io.connectionswap.swapclient.SwapClient;
                import io.connectionswap.swapclient.SwapClientListener;
                import java.time.Duration;
                import reactor.adapter.JdkFlowAdapter;

                public class %s {
                    public static final StringBuffer OUT = new StringBuffer();

                    public static void run(SwapClientListener myMetrics) {
                %s
                    }
                }
                """.formatted(CLASS, body.indent(8)));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int status = javac.run(null, null, null, "-d", work.toString(), "-classpath", libraryClasspath(),
                source.toString());
        assertThat(status).as("javac of the README's example:%n%s", Files.readString(source)).isZero();
        return new URLClassLoader(new java.net.URL[] {work.toUri().toURL()}, getClass().getClassLoader());
    }

    /** The first {@code java} block of the README's "Use it from an application". */
    private static String readmeExample() throws Exception {
        List<String> blocks = ReadmeCodeBlocks.of("Use it from an application", "java");
        assertThat(blocks).as("a java block in that section").isNotEmpty();
        return blocks.get(0);
    }

    /** The {@code SamplingParameters.maxTokens(n)} the example asks for. */
    private static int maxTokens(String example) {
        Matcher asked = Pattern.compile("SamplingParameters\\.maxTokens\\((\\d+)\\)").matcher(example);
        assertThat(asked.find()).as("the example sets maxTokens").isTrue();
        return Integer.parseInt(asked.group(1));
    }

    /** The jars (or class folders) of the types an application of the library compiles against. */
    private static String libraryClasspath() {
        return Stream.of(SwapClient.class, SamplingParameters.class, JdkFlowAdapter.class, Publisher.class,
                        EventLoopGroup.class)
                .map(type -> Path.of(URI.create(type.getProtectionDomain().getCodeSource().getLocation().toString())))
                .map(Path::toString).distinct().collect(Collectors.joining(File.pathSeparator));
    }
}
