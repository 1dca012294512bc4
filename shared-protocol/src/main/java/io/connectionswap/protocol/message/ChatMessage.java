package io.connectionswap.protocol.message;

import java.util.Set;

/** One message of a chat request: {@code role} is system, developer, user, assistant or tool. */
public record ChatMessage(String role, String content) {

    public static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    public ChatMessage {
        if (role == null || !ROLES.contains(role)) {
            throw new IllegalArgumentException("role: " + role + " (expected one of system, developer, user, assistant, tool)");
        }
        if (content == null) {
            throw new IllegalArgumentException("content is required");
        }
    }
}
