package io.connectionswap.deploy.k8s;

import static io.connectionswap.deploy.k8s.JvmMemoryBudget.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The arithmetic the production and image checks rely on. */
class JvmMemoryBudgetTest {

    private static final String CAPPED = "-Xmx512m -XX:MaxDirectMemorySize=128m -Dio.netty.maxDirectMemory=0 "
            + "-XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=64m -Xss1m";

    @Test
    void addsEveryCappedAreaThreadStacksAndInternals() {
        JvmMemoryBudget budget = JvmMemoryBudget.of(CAPPED, 1024 * MIB);
        assertThat(budget.total()).isEqualTo((512 + 128 + 0 + 128 + 64 + JvmMemoryBudget.THREADS) * MIB
                + JvmMemoryBudget.INTERNALS);
        assertThat(budget.fits()).isTrue();
        assertThat(budget.unbounded()).isEmpty();
        assertThat(budget.describe()).contains("heap 512").contains("= 944 MiB of a 1024 MiB limit");
        assertThat(JvmMemoryBudget.of(CAPPED, 900 * MIB).fits()).isFalse();
    }

    @Test
    void nettyKeepsASecondDirectBudgetUnlessItIsTold0() {
        String withoutNetty = CAPPED.replace("-Dio.netty.maxDirectMemory=0 ", "");
        assertThat(JvmMemoryBudget.of(withoutNetty, 1024 * MIB).nettyDirect()).isEqualTo(128 * MIB);
        assertThat(JvmMemoryBudget.of(CAPPED.replace("maxDirectMemory=0", "maxDirectMemory=1048576"), 1024 * MIB)
                .nettyDirect()).isEqualTo(MIB);
    }

    @Test
    void jvmDefaultsApplyWhereNoFlagIsGiven() {
        JvmMemoryBudget defaults = JvmMemoryBudget.of("-XX:MaxRAMPercentage=35", 512 * MIB);
        assertThat(defaults.heap()).isEqualTo((long) (512 * MIB * 0.35));
        assertThat(defaults.direct()).as("direct defaults to the heap size").isEqualTo(defaults.heap());
        assertThat(defaults.codeCache()).isEqualTo(240 * MIB);
        assertThat(defaults.unbounded()).containsExactly("metaspace (-XX:MaxMetaspaceSize)");
        assertThat(defaults.fits()).isFalse();
        assertThat(JvmMemoryBudget.of("", 1024 * MIB).heap()).as("25% without any heap flag")
                .isEqualTo(256 * MIB);
    }

    @Test
    void readsTheJvmSizeSyntax() {
        assertThat(JvmMemoryBudget.bytes("65536k")).isEqualTo(64 * MIB);
        assertThat(JvmMemoryBudget.bytes("1G")).isEqualTo(1024 * MIB);
        assertThat(JvmMemoryBudget.bytes("4096")).isEqualTo(4096);
        assertThatThrownBy(() -> JvmMemoryBudget.bytes("1.5g")).hasMessageContaining("not a JVM size");
    }
}
