package io.connectionswap.testsupport.netty;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands out unpooled heap buffers and remembers each one, so a fuzz run can check after every input that every
 * buffer allocated for it was released (a deterministic leak check; paranoid leak detection only reports what the
 * garbage collector happens to find). Single-threaded, like an {@code EmbeddedChannel}. Used by the fuzz tests of the codec and the director.
 */
public final class TrackingAllocator extends AbstractByteBufAllocator {

    private final List<ByteBuf> allocated = new ArrayList<>();

    public TrackingAllocator() {
        super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        // heap memory behind "direct" buffers too: the code under test never needs a real address
        return track(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    private ByteBuf track(ByteBuf buffer) {
        allocated.add(buffer);
        return toLeakAwareBuffer(buffer);
    }

    /** Buffers allocated so far. */
    public int allocations() {
        return allocated.size();
    }

    /** Buffers allocated so far and not released, as a description for an assertion message, or null. */
    public String unreleased() {
        List<String> live = new ArrayList<>();
        for (ByteBuf buffer : allocated) {
            if (buffer.refCnt() != 0) {
                live.add("refCnt=" + buffer.refCnt() + " capacity=" + buffer.capacity());
            }
        }
        return live.isEmpty() ? null : live.size() + " of " + allocated.size() + " buffers unreleased: " + live;
    }
}
