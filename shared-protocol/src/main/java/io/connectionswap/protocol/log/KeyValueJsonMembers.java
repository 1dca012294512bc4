package io.connectionswap.protocol.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.function.BiConsumer;
import org.springframework.boot.json.JsonWriter;
import org.springframework.boot.logging.structured.StructuredLoggingJsonMembersCustomizer;

/**
 * Puts each log line's {@code key=value} fields ({@link LogFields}) into the JSON object of Spring Boot's
 * structured console logging ({@code LOGGING_STRUCTURED_FORMAT_CONSOLE=ecs} or {@code logstash}) as top-level
 * members: {@code "stream.id":7,"connection.id":"conn-3","reason":"health"}, numbers as numbers. The {@code message}
 * member keeps the whole line. Every role names this class in {@code logging.structured.json.customizer}.
 */
public final class KeyValueJsonMembers implements StructuredLoggingJsonMembersCustomizer<ILoggingEvent> {

    @Override
    public void customize(JsonWriter.Members<ILoggingEvent> members) {
        members.add().usingPairs((ILoggingEvent event, BiConsumer<String, Object> pairs) ->
                LogFields.forEach(event.getFormattedMessage(), pairs));
    }
}
