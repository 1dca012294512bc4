package io.connectionswap.systemtest.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium driven through Selenium, pointed at {@code /usr/bin/chromedriver} (Selenium Manager
 * cannot download a driver here). A test needing it is skipped where it is not installed, except on CI, which
 * installs it and must never skip.
 */
public final class HeadlessChromium {

    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    private HeadlessChromium() {
    }

    /** Skips the calling test where Chromium is not installed; fails it on CI instead. */
    public static void assumeInstalled() {
        boolean installed = Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM);
        String missing = "needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)";
        if ("true".equals(System.getenv("CI"))) {
            assertThat(installed).as(missing).isTrue(); // CI installs them: never skip there
        }
        Assumptions.assumeTrue(installed, missing);
    }

    /** A new browser with a profile of its own; {@code quit()} it after the test. */
    public static ChromeDriver start() throws Exception {
        Path profile = Files.createTempDirectory("chromium-profile");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }
}
