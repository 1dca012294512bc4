package io.connectionswap.worker.quic;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.model.ModelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's failure as this worker reports it: the code and the problem of the ERROR the director gets (and passes on
 * to the client), and the operators' line, which alone names the upstream and quotes its exception.
 *
 * @param upstream the upstream's URL, or null (not a {@link ModelException}, or none named)
 */
record ModelFailure(ErrorCode code, String problem, String upstream, Throwable failure) {

    /** The stream handler's logger: the lines keep the logger name operators set levels by. */
    private static final Logger log = LoggerFactory.getLogger(GenerationStreamHandler.class);
    /** How much of an upstream exception the {@code model failed} line quotes. */
    private static final int MAX_CAUSE_CHARS = 300;

    static ModelFailure of(Throwable failure) {
        ErrorCode code = failure instanceof ModelException model ? model.code() : ErrorCode.INTERNAL;
        String problem = failure instanceof ModelException ? failure.getMessage() : failure.toString();
        // the upstream's URL is for this log only: the problem goes on to the director and the client
        String upstream = failure instanceof ModelException thrown ? thrown.upstream() : null;
        return new ModelFailure(code, problem, upstream, failure);
    }

    /** The operators' line: the generation {@code assignment} handed over failed before its token {@code nextSequence}. */
    void log(String worker, WorkerAssignment assignment, int nextSequence) {
        if (code == ErrorCode.RESUME_MISMATCH) {
            LogLine.error(log).field("worker", worker).field("stream.id", assignment.streamId())
                    .field("generation.id", assignment.request().generationId())
                    .field("resume.after", assignment.request().resumeAfter()).quoted("problem", problem)
                    .log("resume does not match the model's text; a token was lost, repeated or altered upstream");
            return;
        }
        LogLine line = LogLine.warn(log).field("worker", worker).field("stream.id", assignment.streamId())
                .field("generation.id", assignment.request().generationId()).field("next.seq", nextSequence)
                .field("error", code);
        if (upstream != null) {
            line.field("upstream.url", upstream);
            if (failure.getCause() != null) {
                // the exception as it was, before its addresses were taken out of the problem
                line.quoted("upstream.error", LogLine.printable(failure.getCause().toString(), MAX_CAUSE_CHARS));
            }
        }
        line.quoted("problem", problem).log("model failed");
    }
}
