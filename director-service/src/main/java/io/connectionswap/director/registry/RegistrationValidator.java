package io.connectionswap.director.registry;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.HostPort;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;

/**
 * Checks a worker's registration before the director keeps it, so that one bad worker is refused with a clear error
 * at the door instead of failing later in the health poller (where it could stop the polling of every worker).
 * A health URL must be an absolute http(s) URL with a host: {@code http://worker_a:8081/actuator/health} has none for
 * {@link URI} (an underscore is not allowed in a host name) and is refused.
 */
final class RegistrationValidator {

    static final int MAX_LABEL_LENGTH = WorkerRegistration.MAX_LABEL_LENGTH;
    static final int MAX_MODELS = 64;
    static final int MAX_INSTANCE_ID_LENGTH = 128;
    static final int MAX_URL_LENGTH = 2048;

    private RegistrationValidator() {
    }

    /** Returns the parsed address and health URL, or throws {@link InvalidRegistrationException}. */
    static Checked check(WorkerRegistration registration) {
        String label = registration.label();
        if (!WorkerRegistration.validLabel(label)) {
            throw refused(label, "label '" + LogLine.printable(label, MAX_LABEL_LENGTH) + "' is not a label (expected: "
                    + WorkerRegistration.LABEL_RULE + ")");
        }
        HostPort address;
        try {
            address = HostPort.parse("address", registration.address());
        } catch (IllegalArgumentException e) {
            throw refused(label, "worker " + label + ": " + e.getMessage());
        }
        if (address.port() == 0) {
            throw refused(label, "worker " + label + ": address " + address
                    + " has port 0 (expected: the port the director dials, 1-65535)");
        }
        URI healthUrl = healthUrl(label, registration.healthUrl());
        if (registration.instanceId().length() > MAX_INSTANCE_ID_LENGTH) {
            throw refused(label, "worker " + label + ": instanceId is longer than "
                    + MAX_INSTANCE_ID_LENGTH + " characters");
        }
        List<String> models = registration.models();
        if (models.size() > MAX_MODELS) {
            throw refused(label, "worker " + label + ": " + models.size() + " models (expected: at most "
                    + MAX_MODELS + ")");
        }
        for (String model : models) {
            if (!GenerationRequest.validModelName(model)) {
                throw refused(label, "worker " + label + ": model name '"
                        + LogLine.printable(String.valueOf(model), 64) + "' (expected: "
                        + GenerationRequest.MODEL_NAME_RULE + ")");
            }
        }
        return new Checked(address, healthUrl);
    }

    private static URI healthUrl(String label, String text) {
        String problem = "worker " + label + ": health URL '" + LogLine.printable(text, 200) + "' ";
        if (text.length() > MAX_URL_LENGTH) {
            throw refused(label, problem + "is longer than " + MAX_URL_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw refused(label, problem + "is not a URI: " + e.getMessage());
        }
        String scheme = uri.getScheme();
        if (!uri.isAbsolute() || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
            throw refused(label, problem + "is not an absolute http(s) URL");
        }
        if (uri.getHost() == null) {
            String authority = uri.getRawAuthority();
            throw refused(label, problem + "has no host"
                    + (authority != null && authority.contains("_")
                    ? " ('" + LogLine.printable(authority, 100) + "' is not a valid host name: '_' is not allowed; use a name "
                    + "with '-' or an IP address, e.g. CONNECTION_SWAP_WORKER_ADVERTISE_HEALTH_URL)"
                    : " (expected: http://host:port/path)"));
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw refused(label, problem + "has port " + uri.getPort() + " (expected: 1-65535)");
        }
        return uri;
    }

    private static InvalidRegistrationException refused(String label, String message) {
        return new InvalidRegistrationException(LogLine.printable(label, MAX_LABEL_LENGTH), message);
    }

    /** The parts of a valid registration the registry keeps. */
    record Checked(HostPort address, URI healthUrl) {
    }
}
