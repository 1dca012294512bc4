package io.connectionswap.protocol.model;

import io.connectionswap.protocol.message.ChatMessage;
import java.util.List;

/**
 * Renders chat messages to one prompt, so that a chat generation can be continued like a completion (prompt +
 * delivered text) on the next worker. The template is the simple role-tagged one many instruction-tuned models
 * know; a backend that talks to a server with the model's own chat template can render differently, as long as it
 * renders the same messages to the same text every time:
 *
 * <pre>
 * &lt;|system|&gt;
 * You are terse.
 * &lt;|user|&gt;
 * Hello
 * &lt;|assistant|&gt;
 * </pre>
 *
 * Each message is {@code <|role|>}, a newline, its content and a newline; the prompt ends with
 * {@code <|assistant|>} and a newline, where the model's answer begins.
 */
public final class ChatTemplate {

    private ChatTemplate() {
    }

    public static String render(List<ChatMessage> messages) {
        StringBuilder prompt = new StringBuilder();
        for (ChatMessage message : messages) {
            prompt.append("<|").append(message.role()).append("|>\n").append(message.content()).append('\n');
        }
        return prompt.append("<|assistant|>\n").toString();
    }
}
