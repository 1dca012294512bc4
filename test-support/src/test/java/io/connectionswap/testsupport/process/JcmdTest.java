package io.connectionswap.testsupport.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class JcmdTest {

    @Test
    void jcmdComesFromThisJdk() {
        String jcmd = Jcmd.jdkTool("jcmd");

        assertThat(jcmd).isIn(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), "jcmd");
        assertThat(Jcmd.jdkTool("no-such-tool")).isEqualTo("no-such-tool");
        if (!jcmd.equals("jcmd")) {
            assertThat(Files.isExecutable(Path.of(jcmd))).isTrue();
        }
    }

    @Test
    void aPidWithoutAProcessFails() throws Exception {
        Process gone = new ProcessBuilder("/bin/true").start();
        assertThat(gone.waitFor(20, TimeUnit.SECONDS)).isTrue();

        assertThatThrownBy(() -> Jcmd.run(gone.pid(), Duration.ofSeconds(60), "VM.version"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("jcmd " + gone.pid() + " VM.version failed (exit 1)");
    }
}
