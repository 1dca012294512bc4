package io.connectionswap.systemtest.support;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A Chromium whose profile is a temporary directory of its own ({@code --user-data-dir}), deleted when the browser
 * quits: a full profile is megabytes, and a suite starts a browser per test.
 */
final class ProfiledChromeDriver extends ChromeDriver {

    private final Path profile;

    ProfiledChromeDriver(ChromeDriverService service, ChromeOptions options, Path profile) {
        super(service, options);
        this.profile = profile;
    }

    @Override
    public void quit() {
        try {
            super.quit();
        } finally {
            deleteProfile(profile);
        }
    }

    /** Deletes the profile; a browser process still ending may write into it a moment longer, hence the retries. */
    static void deleteProfile(Path profile) {
        await("the deleted browser profile " + profile).atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
                    Directories.deleteRecursively(profile);
                    return !Files.exists(profile);
                });
    }
}
