package io.connectionswap.protocol.model;

import io.connectionswap.protocol.message.ChatMessage;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How chat messages become the one prompt a model continues, so that a chat generation can be resumed like a
 * completion (prompt + delivered text) on the next worker. Each format renders the same messages to the same text
 * every time, and ends where the assistant's answer begins.
 * <ul>
 *   <li>{@code role-tags} ({@link ChatTemplate}): {@code <|role|>}, a newline, the content and a newline per
 *       message, then {@code <|assistant|>} and a newline. The stand-in's, and the default.</li>
 *   <li>{@code chatml}: {@code <|im_start|>role}, a newline, the content, {@code <|im_end|>} and a newline per
 *       message, then {@code <|im_start|>assistant} and a newline: the format of Qwen and many other
 *       instruction-tuned models.</li>
 *   <li>{@code llama3}: {@code <|start_header_id|>role<|end_header_id|>}, two newlines, the content (trimmed) and
 *       {@code <|eot_id|>} per message, then the assistant's header and two newlines: Meta Llama 3's. The
 *       {@code <|begin_of_text|>} token is left to the server, which adds it when it tokenizes a completion
 *       prompt.</li>
 * </ul>
 * A {@code developer} message is rendered as {@code system} in the last two, which know no developer role.
 */
public enum ChatFormat {

    ROLE_TAGS("role-tags") {
        @Override
        public String render(List<ChatMessage> messages) {
            return ChatTemplate.render(messages);
        }
    },
    CHATML("chatml") {
        @Override
        public String render(List<ChatMessage> messages) {
            StringBuilder prompt = new StringBuilder();
            for (ChatMessage message : messages) {
                prompt.append("<|im_start|>").append(modelRole(message)).append('\n').append(message.content())
                        .append("<|im_end|>\n");
            }
            return prompt.append("<|im_start|>assistant\n").toString();
        }
    },
    LLAMA3("llama3") {
        @Override
        public String render(List<ChatMessage> messages) {
            StringBuilder prompt = new StringBuilder();
            for (ChatMessage message : messages) {
                prompt.append("<|start_header_id|>").append(modelRole(message)).append("<|end_header_id|>\n\n")
                        .append(message.content().strip()).append("<|eot_id|>");
            }
            return prompt.append("<|start_header_id|>assistant<|end_header_id|>\n\n").toString();
        }
    };

    private final String label;

    ChatFormat(String label) {
        this.label = label;
    }

    /** The prompt the model continues: every message, then the start of the assistant's answer. */
    public abstract String render(List<ChatMessage> messages);

    /** The name a setting uses: {@code role-tags}, {@code chatml}, {@code llama3}. */
    public String label() {
        return label;
    }

    /** The format named {@code label} (case-insensitive); throws naming {@code setting} and the known names. */
    public static ChatFormat of(String setting, String label) {
        String wanted = label == null ? "" : label.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(format -> format.label.equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(setting + "=" + label + " (expected one of: "
                        + Arrays.stream(values()).map(ChatFormat::label).collect(Collectors.joining(", ")) + ")"));
    }

    private static String modelRole(ChatMessage message) {
        return "developer".equals(message.role()) ? "system" : message.role();
    }
}
