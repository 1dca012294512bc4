package io.connectionswap.systemtest.support;

/**
 * upstream-a and upstream-b: the {@link GreedyLlmProcess}es in front of which worker-a and worker-b run, one each, as
 * each worker of a real deployment fronts its own model server. {@link ProcessCluster} starts and stops them.
 */
public record GreedyUpstreams(GreedyLlmProcess a, GreedyLlmProcess b) {
}
