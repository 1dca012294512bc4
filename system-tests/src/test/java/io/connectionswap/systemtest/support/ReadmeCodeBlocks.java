package io.connectionswap.systemtest.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The fenced code blocks of one {@code ## } section of the repository's README, for tests that run its examples. */
public final class ReadmeCodeBlocks {

    private ReadmeCodeBlocks() {
    }

    /** The bodies of the {@code ```language} blocks of section {@code ## heading}, in order; fails if it is missing. */
    public static List<String> of(String heading, String language) throws IOException {
        String readme = Files.readString(ProcessCluster.repositoryRoot().resolve("README.md"));
        int start = readme.indexOf("\n## " + heading);
        assertThat(start).as("README has a '## %s' section", heading).isPositive();
        int end = readme.indexOf("\n## ", start + 4);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        List<String> blocks = new ArrayList<>();
        Matcher block = Pattern.compile("```" + Pattern.quote(language) + "\\n(.*?)```", Pattern.DOTALL)
                .matcher(section);
        while (block.find()) {
            blocks.add(block.group(1));
        }
        return blocks;
    }
}
