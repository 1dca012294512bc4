package io.connectionswap.worker.model.openai;

/**
 * How far one leg ({@link UpstreamCompletion}) has come, as its parts keep it: the tokens it may send and has sent
 * ({@link LegBudget}), what the upstream said of the end so far ({@link LegEnd}), and when it last heard from the
 * upstream ({@link UpstreamTimeouts}). Made once per leg; its parts change on the leg's serial executor.
 */
record LegProgress(LegBudget budget, LegEnd end, UpstreamTimeouts timeouts) {
}
