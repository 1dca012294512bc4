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
        assertThat(parser.end()).isEqualTo(new SseEventParser.Event("[DONE]", false));
        assertThat(parser.end()).isNull();
    }

    @Test
    void anEventOverTheLimitIsAnError() {
        SseEventParser parser = new SseEventParser(10);
        parser.line("data: 12345");
        assertThatThrownBy(() -> parser.line("data: 67890")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("passes 10 characters");
    }

    @Test
    void anEventOfTypeErrorIsAnErrorAndTheTypeLastsOneEvent() {
        assertThat(parsed("event: error", "data: {\"message\":\"boom\"}", "", "data: x", ""))
                .containsExactly(new SseEventParser.Event("{\"message\":\"boom\"}", true),
                        new SseEventParser.Event("x", false));
        assertThat(parsed("event: error", "", "data: x", "")).as("an event without data is none, its type forgotten")
                .containsExactly(new SseEventParser.Event("x", false));
        assertThat(parsed("event: error", "event: message", "data: x", "")).as("the last event field names the type")
                .containsExactly(new SseEventParser.Event("x", false));
    }

    @Test
    void errorFieldLinesAreOneErrorEventJoinedWithNewlinesAndDropItsDataLines() {
        assertThat(parsed("data: {\"a\":1}", "error: {\"code\":500}", "error: second", "data: late", "", "data: y", ""))
                .containsExactly(new SseEventParser.Event("{\"code\":500}\nsecond", true),
                        new SseEventParser.Event("y", false));
    }

    private static List<String> events(String... lines) {
        return parsed(lines).stream().map(SseEventParser.Event::data).toList();
    }

    private static List<SseEventParser.Event> parsed(String... lines) {
        SseEventParser parser = new SseEventParser(1 << 20);
        List<SseEventParser.Event> events = new ArrayList<>();
        for (String line : lines) {
            SseEventParser.Event event = parser.line(line);
            if (event != null) {
                events.add(event);
            }
        }
        return events;
    }
}
