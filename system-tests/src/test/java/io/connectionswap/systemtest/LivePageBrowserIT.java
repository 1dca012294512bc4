package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.model.ChatTemplate;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.HeadlessChromium;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.testsupport.process.ServiceProcess;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The live page at {@code /} in a real browser (Debian's headless Chromium through Selenium): it loads, shows both
 * workers healthy, streams the answer to a prompt, marks the swap inline after the serving worker is killed with
 * {@code kill -9}, and the text it shows is exactly the unbroken generation's. Saves a screenshot to
 * {@code system-tests/target/live-page.png}.
 */
@ExtendWith(DumpLogsOnFailure.class)
class LivePageBrowserIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @AutoClose
    private ProcessCluster cluster;
    private ChromeDriver browser;

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void thePageStreamsTokensAndMarksTheSwapWhenTheServingWorkerIsKilled() throws Exception {
        HeadlessChromium.requireInstalled(LivePageBrowserIT.class);
        cluster = new ProcessCluster("LivePageBrowserIT", "150ms");
        cluster.startDirector();
        cluster.startTwoWorkers();
        ServiceProcess gateway = cluster.startGateway();

        browser = HeadlessChromium.start(LivePageBrowserIT.class);
        browser.get("http://127.0.0.1:" + gateway.httpPort() + "/");
        awaitPage("both workers shown healthy", () -> healthyWorkersShown() == 2);

        String prompt = "Watch this stream survive a crash.";
        int tokens = 60;
        WebElement promptBox = browser.findElement(By.id("prompt"));
        promptBox.clear();
        promptBox.sendKeys(prompt);
        WebElement maxTokens = browser.findElement(By.id("max-tokens"));
        maxTokens.clear();
        maxTokens.sendKeys(String.valueOf(tokens));
        browser.findElement(By.id("send")).click();

        String expected = new DeterministicTokenModel().text(
                ChatTemplate.render(List.of(new ChatMessage("user", prompt))), 1, tokens);
        String firstEight = new DeterministicTokenModel().text(
                ChatTemplate.render(List.of(new ChatMessage("user", prompt))), 1, 8);
        awaitPage("tokens arrive", () -> shownText().length() >= firstEight.length());
        List<WebElement> runs = browser.findElements(By.cssSelector("#output .tok")); // a span per worker's run
        String serving = runs.get(runs.size() - 1).getAttribute("data-worker");
        ServiceProcess victim = cluster.processes().stream().filter(process -> process.name().equals(serving))
                .findFirst().orElseThrow(() -> new AssertionError("the page names no known worker: " + serving));
        victim.kill9();

        awaitPage("a swap marker", () -> !browser.findElements(By.cssSelector("#output .swap")).isEmpty());
        WebElement marker = browser.findElement(By.cssSelector("#output .swap"));
        assertThat(marker.getAttribute("data-from")).isEqualTo(serving);
        assertThat(marker.getAttribute("data-to")).isNotEqualTo(serving).startsWith("worker-");
        assertThat(marker.getText()).contains(serving).contains(" ms)");
        awaitPage("the answer is complete", () -> browser.findElement(By.id("stream-state")).getText().equals("done"));
        awaitPage("the killed worker is shown unhealthy", () -> healthyWorkersShown() == 1);

        assertThat(shownText()).as("the text the page shows").isEqualTo(expected);
        assertThat(browser.findElement(By.id("stats")).getText()).contains(tokens + " tokens").contains("1 swap");

        File screenshot = browser.getScreenshotAs(OutputType.FILE);
        Path saved = ProcessCluster.repositoryRoot().resolve("system-tests/target/live-page.png");
        Files.copy(screenshot.toPath(), saved, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("live page screenshot: " + saved);
        assertThat(Files.size(saved)).isPositive();
    }

    /**
     * What the page says while what it shows cannot be known: a director that restarts under a running answer (the
     * answer goes on where it stopped; the worker table shows no stale rows meanwhile, and the workers again once the
     * director is back), and a gateway that stops answering (frozen: its status requests hang; the page says so
     * within its 8 s bound instead of showing the last status as current).
     */
    @Test
    void thePageTellsADirectorRestartAndAGatewayThatDoesNotAnswerFromACurrentStatus() throws Exception {
        HeadlessChromium.requireInstalled(LivePageBrowserIT.class);
        cluster = new ProcessCluster("LivePageBrowserIT-restart", "150ms");
        ServiceProcess director = cluster.startDirector();
        cluster.startTwoWorkers();
        // the answer waits out the director's restart (a JVM start: longer than the default 10 s on a busy machine)
        ServiceProcess gateway = cluster.startGateway("CONNECTION_SWAP_GATEWAY_WORKER_WAIT=90s");

        browser = HeadlessChromium.start(LivePageBrowserIT.class);
        browser.get("http://127.0.0.1:" + gateway.httpPort() + "/");
        awaitPage("both workers shown healthy", () -> healthyWorkersShown() == 2);

        String prompt = "Keep going while the director restarts.";
        int tokens = 80;
        browser.findElement(By.id("prompt")).clear();
        browser.findElement(By.id("prompt")).sendKeys(prompt);
        browser.findElement(By.id("max-tokens")).clear();
        browser.findElement(By.id("max-tokens")).sendKeys(String.valueOf(tokens));
        browser.findElement(By.id("send")).click();
        awaitPage("tokens arrive", () -> shownText().length() >= new DeterministicTokenModel().text(
                ChatTemplate.render(List.of(new ChatMessage("user", prompt))), 1, 5).length());

        director.sigterm();
        assertThat(director.waitForExit(WAIT)).as("the director exits").isTrue();
        awaitPage("the page says the director is unreachable and shows no worker as current",
                () -> directorLine().startsWith("director unreachable") && workerRowsShown() == 0);

        director.restart();
        cluster.awaitHealthyWorkers(2);
        awaitPage("the page is connected again", () -> directorLine().startsWith("connected to")
                && healthyWorkersShown() == 2);
        awaitPage("the answer is complete", () -> browser.findElement(By.id("stream-state")).getText().equals("done"));
        assertThat(shownText()).as("the text the page shows across the director's restart").isEqualTo(
                new DeterministicTokenModel().text(ChatTemplate.render(List.of(new ChatMessage("user", prompt))), 1,
                        tokens));

        gateway.freeze();
        try {
            awaitPage("the page says the gateway does not answer and shows no worker as current",
                    () -> directorLine().startsWith("the gateway did not answer") && workerRowsShown() == 0);
        } finally {
            gateway.resume();
        }
        awaitPage("the page shows the workers again", () -> directorLine().startsWith("connected to")
                && healthyWorkersShown() == 2);
    }

    /** The answer's text as shown: the tokens' runs ({@code .tok}) in order, without the swap marks. */
    private String shownText() {
        return browser.findElements(By.cssSelector("#output .tok")).stream()
                .map(element -> element.getAttribute("textContent")).collect(Collectors.joining());
    }

    private String directorLine() {
        return browser.findElement(By.id("director")).getText();
    }

    /** Rows of the worker table that show a worker (not the line saying none is known). */
    private int workerRowsShown() {
        return browser.findElements(By.cssSelector("#workers tr[data-worker]")).size();
    }

    private int healthyWorkersShown() {
        return browser.findElements(By.cssSelector("#workers .badge.HEALTHY")).size();
    }

    private static void awaitPage(String what, java.util.concurrent.Callable<Boolean> condition) {
        await(what).atMost(WAIT).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(condition);
    }
}
