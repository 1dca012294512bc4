package io.connectionswap.systemtest.support;

import java.lang.reflect.Field;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Prints the tail of every process log when a test fails, so CI output shows what the processes did. */
public final class DumpLogsOnFailure implements TestWatcher {

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Object test = context.getTestInstance().orElse(null);
        if (test == null) {
            return;
        }
        for (Field field : test.getClass().getDeclaredFields()) {
            if (field.getType() == ProcessCluster.class) {
                try {
                    field.setAccessible(true);
                    ProcessCluster cluster = (ProcessCluster) field.get(test);
                    if (cluster != null) {
                        System.out.println("=== logs of " + context.getDisplayName() + cluster.describe());
                    }
                } catch (IllegalAccessException e) {
                    System.out.println("cannot print logs: " + e);
                }
            }
        }
    }
}
