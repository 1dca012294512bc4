package io.connectionswap.protocol.frame;

import io.netty.handler.codec.DecoderException;

/** A peer sent something this protocol does not allow; ends the stream it arrived on, nothing else. */
public final class ProtocolException extends DecoderException {

    private final ErrorCode errorCode;

    public ProtocolException(ErrorCode errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    public ProtocolException(ErrorCode errorCode, String message, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    public ErrorCode errorCode() {
        return errorCode;
    }
}
