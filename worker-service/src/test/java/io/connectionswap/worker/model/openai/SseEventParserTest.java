package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseEventParserTest {

    @Test
    void oneDataLineThenABlankLineIsOneEvent() {
        assertThat(events("data: {\"a\":1}", "", "data: [DONE]", "")).containsExactly("{\"a\":1}", "[DONE]");
    }

    @Test
    void commentsOtherFieldsAndExtraBlankLinesAreIgnored() {
        assertThat(events(": keep-alive", "", "", "event: message", "id: 7", "retry: 1000", "data: x", "", ""))
                .containsExactly("x");
    }

    @Test
    void severalDataLinesAreJoinedWithNewlines() {
        assertThat(events("data: {\"text\":", "data:  \"two\"}", "")).containsExactly("{\"text\":\n \"two\"}");
    }

    @Test
    void onlyOneSpaceAfterTheColonIsDroppedAndNoSpaceIsFine() {
        assertThat(events("data:x", "", "data:   y", "", "data", "")).containsExactly("x", "  y", "");
    }

    @Test
    void aByteOrderMarkBeforeTheFirstLineIsIgnored() {
        assertThat(events("\uFEFFdata: first", "")).containsExactly("first");
    }

    @Test
    void anEventWithoutTheFinalBlankLineIsGivenAtTheEnd() {
        SseEventParser parser = new SseEventParser(100);
        assertThat(parser.line("data: [DONE]")).isNull();
        assertThat(parser.end()).isEqualTo("[DONE]");
        assertThat(parser.end()).isNull();
    }

    @Test
    void anEventOverTheLimitIsAnError() {
        SseEventParser parser = new SseEventParser(10);
        parser.line("data: 12345");
        assertThatThrownBy(() -> parser.line("data: 67890")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("passes 10 characters");
    }

    private static List<String> events(String... lines) {
        SseEventParser parser = new SseEventParser(1 << 20);
        List<String> events = new ArrayList<>();
        for (String line : lines) {
            String event = parser.line(line);
            if (event != null) {
                events.add(event);
            }
        }
        return events;
    }
}
