package io.connectionswap.protocol.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.message.ChatMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatFormatTest {

    private static final List<ChatMessage> MESSAGES = List.of(new ChatMessage("developer", "Be brief."),
            new ChatMessage("user", " Hi "), new ChatMessage("assistant", "Hello."), new ChatMessage("user", "Bye"));

    @Test
    void roleTagsIsTheChatTemplate() {
        assertThat(ChatFormat.ROLE_TAGS.render(MESSAGES)).isEqualTo(ChatTemplate.render(MESSAGES))
                .isEqualTo("<|developer|>\nBe brief.\n<|user|>\n Hi \n<|assistant|>\nHello.\n<|user|>\nBye\n"
                        + "<|assistant|>\n");
    }

    @Test
    void chatmlRendersEachMessageBetweenImStartAndImEnd() {
        assertThat(ChatFormat.CHATML.render(MESSAGES)).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n"
                + "<|im_start|>user\n Hi <|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n"
                + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void llama3RendersHeadersAndTrimmedContentWithoutTheBeginToken() {
        assertThat(ChatFormat.LLAMA3.render(MESSAGES)).isEqualTo(
                "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void aFormatIsNamedByItsLabelAndAnUnknownNameListsTheKnownOnes() {
        assertThat(ChatFormat.of("SETTING", " ChatML ")).isEqualTo(ChatFormat.CHATML);
        assertThat(ChatFormat.of("SETTING", "llama3")).isEqualTo(ChatFormat.LLAMA3);
        assertThatThrownBy(() -> ChatFormat.of("CONNECTION_SWAP_UPSTREAM_CHAT_TEMPLATE", "mistral"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("CONNECTION_SWAP_UPSTREAM_CHAT_TEMPLATE=mistral (expected one of: role-tags, chatml, llama3)");
    }
}
