package io.connectionswap.bench;

/**
 * One phase of the bench ({@code relay}, {@code health}, {@code process}, {@code scale}, {@code gateway},
 * {@code peer}): it runs against the bench's {@link Cluster} and writes its figures under its own key of the
 * {@link Results}.
 */
abstract class BenchPhase {

    final Cluster cluster;
    final BenchConfig cfg;
    final Results results;

    BenchPhase(Cluster cluster, Results results) {
        this.cluster = cluster;
        this.cfg = cluster.cfg();
        this.results = results;
    }

    abstract void run() throws Exception;

    /** Puts the in-JVM workers in rotation and waits until the director counts every one of them healthy. */
    final void inJvmWorkersInRotation() {
        cluster.setInJvmReady(true);
        cluster.awaitHealthy(cluster.inJvm().size());
    }
}
