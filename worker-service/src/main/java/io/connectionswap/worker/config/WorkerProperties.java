package io.connectionswap.worker.config;

import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.WorkerRegistration;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Worker settings; each is fed by the environment variable named in {@code application.yml} and the README.
 *
 * @param addr               UDP address of the QUIC server ({@code CONNECTION_SWAP_WORKER_ADDR}, required)
 * @param advertise          address the director dials ({@code CONNECTION_SWAP_WORKER_ADVERTISE}, default: addr)
 * @param advertiseHealthUrl health URL the director polls (default: http://advertised-host:SERVER_PORT/actuator/health)
 * @param label              name in logs and metrics
 * @param tokenInterval      time between two tokens of a stream
 * @param failAfter          simulated failure: health DOWN after serving this long (null: off)
 * @param recoverAfter       how long a simulated failure lasts
 * @param directorTarget     where the directors are: one or more host:port, comma-separated; the worker registers with
 *                           every address each host resolves to
 * @param register           register with the directors (off: directors must discover this worker through DNS)
 * @param directorResolveInterval how often director names are resolved again
 * @param drainTimeout       longest a draining worker waits for its streams to move away
 * @param registrationRetryMax longest pause between two attempts to reach the director
 * @param heartbeatInterval  application heartbeat on the registration stream
 * @param heartbeatTimeout   the director is considered gone after this long without an echo
 * @param eventLoopThreads   threads serving QUIC
 * @param maxRequestBytes    largest ASSIGNMENT frame (prompt, chat messages and, on a resume, the delivered text)
 *                           the worker accepts ({@code CONNECTION_SWAP_MAX_REQUEST_BYTES}); a larger one is refused
 *                           with REQUEST_TOO_LARGE
 */
@ConfigurationProperties("connection-swap.worker")
public record WorkerProperties(
        String addr,
        String advertise,
        String advertiseHealthUrl,
        @DefaultValue(DEFAULT_LABEL) String label,
        @DefaultValue("1s") Duration tokenInterval,
        Duration failAfter,
        @DefaultValue("10s") Duration recoverAfter,
        @DefaultValue("127.0.0.1:61000") String directorTarget,
        @DefaultValue("true") boolean register,
        @DefaultValue("10s") Duration directorResolveInterval,
        @DefaultValue("20s") Duration drainTimeout,
        @DefaultValue("2s") Duration registrationRetryMax,
        @DefaultValue("1s") Duration heartbeatInterval,
        @DefaultValue("3500ms") Duration heartbeatTimeout,
        @DefaultValue("1") int eventLoopThreads,
        @DefaultValue("4MB") DataSize maxRequestBytes) {

    /** The label of a worker that sets none. */
    public static final String DEFAULT_LABEL = "worker";
    /** The env var that gives {@code addr}. */
    public static final String ADDR_SETTING = "CONNECTION_SWAP_WORKER_ADDR";
    private static final String ADVERTISE_SETTING = "CONNECTION_SWAP_WORKER_ADVERTISE";
    private static final String DIRECTOR_TARGET_SETTING = "CONNECTION_SWAP_DIRECTOR_TARGET";

    public WorkerProperties {
        // addresses fail at binding, naming their setting, not once the server starts
        HostPort.parse(ADDR_SETTING, addr);
        if (advertise != null && !advertise.isBlank()) {
            HostPort.parse(ADVERTISE_SETTING, advertise, HostPort.LOWEST_DIAL_PORT); // the director dials it
        }
        if (register) {
            HostPort.parseList(DIRECTOR_TARGET_SETTING, directorTarget, HostPort.LOWEST_DIAL_PORT);
        }
        if (!WorkerRegistration.validLabel(label)) {
            // every director would refuse the registration, the worker running healthy and idle for good
            throw new IllegalArgumentException("CONNECTION_SWAP_WORKER_LABEL='" + LogLine.printable(label,
                    WorkerRegistration.MAX_LABEL_LENGTH) + "' (expected: " + WorkerRegistration.LABEL_RULE + ")");
        }
        if (tokenInterval.isNegative() || tokenInterval.isZero()) {
            throw new IllegalArgumentException("CONNECTION_SWAP_TOKEN_INTERVAL=" + tokenInterval + " (expected: > 0)");
        }
        if (failAfter != null && (failAfter.isNegative() || failAfter.isZero())) {
            failAfter = null;
        }
        long minimum = Frames.DEFAULT_MAX_PAYLOAD_BYTES;
        if (maxRequestBytes.toBytes() < minimum || maxRequestBytes.toBytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("CONNECTION_SWAP_MAX_REQUEST_BYTES=" + maxRequestBytes.toBytes()
                    + " bytes (expected: " + minimum + " (64KB) to " + Integer.MAX_VALUE + ", e.g. 4MB)");
        }
    }

    /** This worker as a message names it: {@code worker worker-a}, or just {@code worker} with the default label. */
    public String roleName() {
        return DEFAULT_LABEL.equals(label) ? DEFAULT_LABEL : "worker " + label;
    }

    public HostPort bindAddress() {
        return HostPort.parse(ADDR_SETTING, addr);
    }

    /** The address to advertise, given the port the server actually bound. */
    public HostPort advertisedAddress(int boundPort) {
        if (advertise != null && !advertise.isBlank()) {
            return HostPort.parse(ADVERTISE_SETTING, advertise, HostPort.LOWEST_DIAL_PORT);
        }
        return bindAddress().withPort(boundPort);
    }

    public java.util.List<HostPort> directors() {
        return HostPort.parseList(DIRECTOR_TARGET_SETTING, directorTarget, HostPort.LOWEST_DIAL_PORT);
    }
}
