package io.connectionswap.protocol.fuzz;

import io.connectionswap.testsupport.netty.TrackingAllocator;

/** Assertions for fuzz targets: plain and cheap, since they run on every one of millions of inputs. */
final class FuzzChecks {

    private FuzzChecks() {
    }

    static void check(boolean condition, String what, Object... details) {
        if (!condition) {
            throw new AssertionError(details.length == 0 ? what : what + ": " + java.util.Arrays.deepToString(details));
        }
    }

    static void noLeak(TrackingAllocator alloc) {
        String unreleased = alloc.unreleased();
        if (unreleased != null) {
            throw new AssertionError("buffer leak: " + unreleased);
        }
    }
}
