package io.connectionswap.swapclient;

/** A token that arrived out of order: one went missing ({@link #GAP}) or came twice ({@link #DUPLICATE}). */
public enum SequenceErrorKind {
    GAP("gap"),
    DUPLICATE("duplicate");

    private final String tag;

    SequenceErrorKind(String tag) {
        this.tag = tag;
    }

    /** The metric tag value ({@code kind=gap|duplicate}). */
    public String tag() {
        return tag;
    }
}
