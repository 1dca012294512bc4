package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.protocol.model.ModelException;
import io.connectionswap.worker.model.HealthDetails;
import io.connectionswap.worker.model.Publishers;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * A worker in front of an OpenAI-compatible server ({@code CONNECTION_SWAP_MODEL_BACKEND=openai}): vLLM, SGLang,
 * llama.cpp's server, TGI, Ollama, or OpenAI itself. Every leg of a generation is one streamed
 * {@code POST {url}/completions}; a resume sends the prompt followed by the delivered text with {@code max_tokens}
 * reduced accordingly, so the upstream continues where the failed worker stopped (see {@link CompletionRequestBody}).
 * A chat's messages are rendered to one prompt in the configured {@code ChatFormat}
 * ({@code CONNECTION_SWAP_UPSTREAM_CHAT_TEMPLATE}), so chat and completion continue alike.
 *
 * <p>The JDK's non-blocking {@code HttpClient} (HTTP/1.1) runs on a small fixed executor shared by every stream,
 * plus one timer thread for timeouts and health checks: no thread per stream, nothing on the QUIC event loop.
 * Failures are mapped by {@link UpstreamErrors}; {@link UpstreamHealth} keeps the worker's health in step with the
 * upstream's.
 */
public final class OpenAiBackend implements ModelBackend, HealthDetails, AutoCloseable {

    public static final String NAME = "openai";
    private static final Logger log = LoggerFactory.getLogger(OpenAiBackend.class);

    private final Upstream upstream;
    private final UpstreamHealth health;
    private final ExecutorService executor;
    private final ScheduledThreadPoolExecutor timer;

    private OpenAiBackend(UpstreamSettings settings) {
        this.executor = Executors.newFixedThreadPool(settings.threads(), new DefaultThreadFactory("upstream-http", true));
        this.timer = new ScheduledThreadPoolExecutor(1, new DefaultThreadFactory("upstream-timer", true));
        this.timer.setRemoveOnCancelPolicy(true);
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .build();
        UpstreamHealth[] healthRef = new UpstreamHealth[1];
        this.upstream = new Upstream(settings, http, JsonMapper.builder().build(), executor, timer,
                () -> healthRef[0].checkSoon(), new UpstreamBackOff(settings.completionsUri()),
                new AnsweringModels(settings.completionsUri()), new DeliveredTokens(settings.tokenizeUri()),
                new IgnoredMaxTokens(settings.completionsUri(), settings.model()));
        this.health = new UpstreamHealth(upstream);
        healthRef[0] = health;
    }

    /** A backend for {@code settings}, its health checks started. */
    public static OpenAiBackend start(UpstreamSettings settings) {
        OpenAiBackend backend = new OpenAiBackend(settings);
        backend.health.start();
        Duration keepAlive = UpstreamKeepAlive.idle(); // what the worker's main set, unless the JVM's options did
        LogLine.info(log).field("upstream.url", settings.baseUri()).field("model", settings.model())
                .field("connect.timeout", settings.connectTimeout())
                .field("first.token.timeout", settings.firstTokenTimeout())
                .field("token.timeout", settings.tokenTimeout()).field("health.interval", settings.healthInterval())
                .field("keepalive.timeout", keepAlive == null ? "jdk-default" : keepAlive)
                .field("api.key", settings.apiKey() == null ? "unset" : "set").log("openai backend ready");
        return backend;
    }

    public UpstreamSettings settings() {
        return upstream.settings();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> models() {
        return List.of(upstream.settings().model());
    }

    @Override
    public Flow.Publisher<ModelEvent> generate(GenerationContext context) {
        String model = upstream.settings().model();
        if (context.model() != null && !model.equals(context.model())) {
            ModelException wrong = new ModelException(ErrorCode.MODEL_NOT_FOUND, "this worker serves [" + model
                    + "], not '" + context.model() + "'");
            return Publishers.failed(wrong);
        }
        return subscriber -> {
            UpstreamCompletion completion = new UpstreamCompletion(upstream, context, subscriber);
            subscriber.onSubscribe(completion);
            completion.start();
        };
    }

    @Override
    public boolean isReady() {
        return health.isUp();
    }

    @Override
    public String problem() {
        UpstreamHealth.Check check = health.last();
        return check.up() ? upstream.backOff().problem(Instant.now()) : check.problem();
    }

    @Override
    public Map<String, Object> healthDetails() {
        return health.details();
    }

    @Override
    public void close() {
        health.stop();
        timer.shutdownNow();
        executor.shutdownNow();
    }
}
