package io.connectionswap.director.registry;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.log.LogLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a worker's link can take a new stream from the calling routing loop: it has stream credit (the worker's
 * QUIC MAX_STREAMS not reached). A worker without is at capacity, or holds streams that never ended; it is not failed
 * (its link and health are fine, and it gives credit back as streams end), but new streams go to a worker with room.
 * Each new stream whose pick found one or more without credit counts once in
 * {@code connection_swap_limit_hits_total{limit="worker_streams"}} ({@link #passedOver}); the first time a worker is
 * found without credit on a routing loop is a WARN, the first time with credit on every loop again an INFO.
 */
final class StreamRoom {

    private static final Logger log = LoggerFactory.getLogger(StreamRoom.class);

    private final DirectorMeters meters;

    StreamRoom(DirectorMeters meters) {
        this.meters = meters;
    }

    /** Whether {@code worker}'s link has stream credit for the calling routing loop. */
    boolean has(WorkerEndpoint worker) {
        LinkRecord record = worker.links();
        WorkerConnection link = record.current();
        if (link == null) {
            return false; // lost since it was found eligible
        }
        if (link.streamCredit() > 0) {
            // credit is per routing loop, the episode per worker: it ends once every loop has credit again, not at
            // each pick on a loop that has while another has none
            if (record.outOfStreamCredit() && link.streamCreditOnEveryLoop() && record.outOfStreamCredit(false)) {
                LogLine.info(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                        .log("worker has stream credit again; it takes new streams");
            }
            return true;
        }
        if (record.outOfStreamCredit(true)) {
            LogLine.warn(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                    .field("streams", link.streamsHeld()).field("connections", link.connections())
                    .log("worker link has no stream credit left (its stream limit is reached: at capacity, or "
                            + "streams that never ended); new streams go to workers with room until it gives more");
        }
        return false;
    }

    /** A new stream's pick found one or more workers without credit (once per stream). */
    void passedOver() {
        meters.limitHit(DirectorMeters.Limit.WORKER_STREAMS);
    }
}
