package io.connectionswap.director.relay;

import java.util.List;

/** Why a stream left its worker; the values of the {@code reason} tag of {@code connection_swap_swaps_total}. */
public final class SwapReason {

    public static final String HEALTH = "health";
    public static final String STREAM_ERROR = "stream_error";
    public static final String CONNECTION_LOST = "connection_lost";
    public static final String STALL = "stall";
    public static final String DRAIN = "drain";

    /** Every reason, for meters that are there at 0 from the start. */
    public static final List<String> ALL = List.of(HEALTH, STREAM_ERROR, CONNECTION_LOST, STALL, DRAIN);

    private SwapReason() {
    }
}
