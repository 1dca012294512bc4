package io.connectionswap.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Every thread of the bench JVM with its stack, into a file: what a wedged client was doing. */
final class ThreadDump {

    private ThreadDump() {
    }

    /** Writes {@code <name>-threads.txt} under {@code dir}; returns its path, or why it could not. */
    static String write(Path dir, String name) {
        StringBuilder text = new StringBuilder();
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            text.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
            if (info.getLockName() != null) {
                text.append(" on ").append(info.getLockName());
            }
            if (info.getLockOwnerName() != null) {
                text.append(" owned by \"").append(info.getLockOwnerName()).append('"');
            }
            text.append('\n');
            for (StackTraceElement frame : info.getStackTrace()) {
                text.append("\tat ").append(frame).append('\n');
            }
            text.append('\n');
        }
        Path file = dir.resolve(name + "-threads.txt");
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
            return file.toString();
        } catch (IOException e) {
            return "cannot write " + file + ": " + e;
        }
    }
}
