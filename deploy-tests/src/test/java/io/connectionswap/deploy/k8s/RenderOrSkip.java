package io.connectionswap.deploy.k8s;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/**
 * A test class's renders (or tool checks), run once before all its tests. Without kubectl 1.27+ or openssl
 * ({@link Kustomize#requireTools}) they abort with the MISSING TOOL line; the abort is thrown again before each
 * test, where surefire counts each test as skipped (under {@code CI=true} the class fails instead).
 *
 * <pre>
 * &#64;RegisterExtension
 * static final RenderOrSkip RENDER = new RenderOrSkip(() -&gt; production = Kustomize.production(SomeTest.class));
 * </pre>
 */
final class RenderOrSkip implements BeforeAllCallback, BeforeEachCallback {

    private final Runnable render;
    private TestAbortedException toolMissing;

    RenderOrSkip(Runnable render) {
        this.render = render;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        try {
            render.run();
        } catch (TestAbortedException e) {
            toolMissing = e;
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (toolMissing != null) {
            throw toolMissing;
        }
    }
}
