package io.connectionswap.director.registry;

/** A worker registration the director refuses; the message says which field is wrong and why. */
public final class InvalidRegistrationException extends IllegalArgumentException {

    private final String label;

    InvalidRegistrationException(String label, String message) {
        super(message);
        this.label = label;
    }

    /** The label the worker registered with, cut and cleaned for a log line. */
    public String label() {
        return label;
    }
}
