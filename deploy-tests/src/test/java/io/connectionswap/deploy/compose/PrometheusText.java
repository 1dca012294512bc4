package io.connectionswap.deploy.compose;

/** Reads values out of a Prometheus text exposition ({@code /actuator/prometheus}). */
final class PrometheusText {

    private final String text;

    PrometheusText(String text) {
        this.text = text;
    }

    /** Sum of every series of {@code metric} (all tag combinations); fails if the metric is not exposed at all. */
    double sum(String metric) {
        double total = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int labels = line.indexOf('{');
            int space = line.indexOf(' ');
            int nameEnd = labels >= 0 && labels < space ? labels : space;
            if (nameEnd <= 0 || !line.substring(0, nameEnd).equals(metric)) {
                continue;
            }
            String rest = labels == nameEnd ? line.substring(line.lastIndexOf('}') + 1) : line.substring(nameEnd);
            total += Double.parseDouble(rest.trim().split("\\s+")[0]);
            found = true;
        }
        if (!found) {
            throw new IllegalStateException("metric " + metric + " is not exposed");
        }
        return total;
    }

    long count(String metric) {
        return (long) sum(metric);
    }
}
