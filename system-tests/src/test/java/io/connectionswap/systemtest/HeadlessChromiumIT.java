package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.systemtest.support.HeadlessChromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The browser the browser tests start leaves nothing behind: its profile, a temporary directory of its own (a full
 * Chromium profile, megabytes), is deleted when the test quits it.
 */
class HeadlessChromiumIT {

    @Test
    void quittingTheBrowserDeletesItsProfile() throws Exception {
        HeadlessChromium.requireInstalled(HeadlessChromiumIT.class);
        ChromeDriver browser = HeadlessChromium.start(HeadlessChromiumIT.class);
        Path profile;
        try {
            browser.get("data:text/html,<p>hello</p>");
            Map<?, ?> chrome = (Map<?, ?>) browser.getCapabilities().getCapability("chrome");
            profile = Path.of((String) chrome.get("userDataDir"));
            assertThat(profile).as("the browser's profile, while it runs").isDirectory();
            assertThat(profile.getFileName().toString()).startsWith("chromium-profile");
        } finally {
            browser.quit();
        }
        assertThat(Files.exists(profile)).as("the profile %s after quit()", profile).isFalse();
    }
}
