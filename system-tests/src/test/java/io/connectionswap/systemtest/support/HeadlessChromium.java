package io.connectionswap.systemtest.support;

import io.connectionswap.testsupport.tools.ExternalTool;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium driven through Selenium, with the chromedriver found on the PATH (Selenium Manager
 * cannot download a driver here). Where either is missing the test is skipped with a {@code MISSING TOOL} line, or
 * fails under {@code CI=true} ({@link ExternalTool}).
 */
public final class HeadlessChromium {

    private HeadlessChromium() {
    }

    /** Checks both programs before a test starts anything; see {@link ExternalTool#require}. */
    public static void requireInstalled(Class<?> test) {
        ExternalTool.CHROMIUM.require(test);
        ExternalTool.CHROMEDRIVER.require(test);
    }

    /** A new browser with a profile of its own; {@code quit()} it after the test, which deletes the profile too. */
    public static ChromeDriver start(Class<?> test) throws Exception {
        Path profile = Files.createTempDirectory("chromium-profile");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(ExternalTool.CHROMIUM.require(test).toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(ExternalTool.CHROMEDRIVER.require(test).toFile()).usingAnyFreePort().build();
        try {
            return new ProfiledChromeDriver(service, options, profile);
        } catch (RuntimeException e) {
            ProfiledChromeDriver.deleteProfile(profile);
            throw e;
        }
    }
}
