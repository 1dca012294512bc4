package io.connectionswap.director.health;

import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerSource;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Health URLs that cannot work as configured: one that redirects (Actuator health never does; the URL points at the
 * wrong scheme, port or path) or whose TLS handshake fails (a CA the director does not trust, a certificate without
 * the URL's host). Each poll of such a URL fails the same way, so each problem of a worker is said once at WARN, its
 * repeats at DEBUG with a reminder every few minutes ({@link RepeatedProblems}), and forgotten once the worker
 * answers UP. A problem is a worker's (its address) at one health URL: a worker restarted at its address with
 * another URL (one the operator just changed) has that URL's problems said again. Thread-safe: polls of several
 * workers report here at once.
 */
final class HealthUrlProblems {

    /**
     * Problems remembered: one per failing worker and kind, far more than the workers a director polls. Fewer than the
     * workers that fail (RepeatedProblems' default 256) and each poll round evicted what the next one needed, so a
     * fleet-wide mistake was a WARN per worker per poll; each entry is a few hundred bytes.
     */
    static final int PROBLEMS_REMEMBERED = 16_384;

    private final Logger log;
    private final RepeatedProblems seen = new RepeatedProblems(RepeatedProblems.REMIND_EVERY, PROBLEMS_REMEMBERED,
            System::nanoTime);

    /** Problem kinds, one remembered per worker and health URL each. */
    private record Key(String worker, String healthUrl, String kind) {

        static Key of(WorkerEndpoint worker, String kind) {
            return new Key(worker.address().toString(), String.valueOf(worker.healthUrl()), kind);
        }
    }

    HealthUrlProblems(Logger log) {
        this.log = log;
    }

    /** The worker's health URL answered {@code status} (3xx) pointing at {@code location} (null: no Location). */
    void redirected(WorkerEndpoint worker, int status, String location) {
        RepeatedProblems.Occurrence occurrence = seen.occurred(Key.of(worker, "redirect"),
                Level.WARN);
        occurrence.withRepeats(LogLine.at(log, occurrence.level())).field("worker.addr", worker.address())
                .field("worker.label", worker.label()).field("health.url", worker.healthUrl())
                .field("http.status", status).quoted("location", location == null ? "(none)" : location)
                .log("worker health url redirects; actuator health never does, so every poll fails: set {} to where it "
                        + "should point", settingOf(worker));
    }

    /** Where {@code worker}'s health URL comes from: the director's discovery settings, or the worker's own. */
    private static String settingOf(WorkerEndpoint worker) {
        return worker.source() == WorkerSource.DNS
                ? "the director's CONNECTION_SWAP_DISCOVERY_HEALTH_PORT and connection-swap.discovery.health-path "
                        + "(a worker found through DNS)"
                : "the worker's health url (CONNECTION_SWAP_WORKER_ADVERTISE_HEALTH_URL)";
    }

    /** The TLS handshake with the worker's health URL failed. */
    void tlsFailed(WorkerEndpoint worker, SSLException failure) {
        RepeatedProblems.Occurrence occurrence = seen.occurred(Key.of(worker, "tls"),
                Level.WARN);
        occurrence.withRepeats(LogLine.at(log, occurrence.level())).field("worker.addr", worker.address())
                .field("worker.label", worker.label()).field("health.url", worker.healthUrl())
                .quoted("problem", failure.toString())
                .log("tls handshake with the worker's health url failed, so every poll fails: check the director "
                        + "trusts its certificate (the JVM's trust store) and that the certificate names the url's host");
    }

    /** The worker answered UP: its problems are solved, and the next one is said again. */
    void answeredUp(WorkerEndpoint worker) {
        seen.forget(Key.of(worker, "redirect"));
        seen.forget(Key.of(worker, "tls"));
    }
}
