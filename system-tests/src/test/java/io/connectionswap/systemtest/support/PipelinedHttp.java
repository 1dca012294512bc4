package io.connectionswap.systemtest.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One keep-alive HTTP/1.1 connection over a plain socket, for what the JDK client cannot do: write several requests
 * in one go (pipelining) and then read their answers in order, send part of a request and stop, or send a body that
 * never ends. Each read waits at most the given deadline, so a connection the server stopped reading fails the test
 * instead of hanging it.
 */
public final class PipelinedHttp implements AutoCloseable {

    /** One answer: status code, headers (names in lower case) and body (bodies are small JSON here). */
    public record Answer(int status, Map<String, String> headers, String body) {

        /** The value of header {@code name}, or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;
    private final Duration readDeadline;
    private final InputStream in;
    private final OutputStream out;

    public PipelinedHttp(int port, Duration readDeadline) throws IOException {
        socket = new Socket("127.0.0.1", port);
        this.readDeadline = readDeadline;
        socket.setSoTimeout(Math.toIntExact(readDeadline.toMillis()));
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** A POST of {@code json} to {@code path}, as bytes to {@link #write}. */
    public static byte[] post(String path, String json) {
        int length = json.getBytes(StandardCharsets.UTF_8).length;
        return (new String(postHead(path, length), StandardCharsets.US_ASCII) + json).getBytes(StandardCharsets.UTF_8);
    }

    /** The head of a POST of a JSON body of {@code contentLength} bytes, without the body. */
    public static byte[] postHead(String path, long contentLength) {
        return ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + contentLength + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes all the requests with one write and one flush: they arrive together. */
    public void write(byte[]... requests) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] request : requests) {
            all.write(request);
        }
        out.write(all.toByteArray());
        out.flush();
    }

    /**
     * The next answer on the connection (Content-Length or chunked body).
     *
     * @throws SocketTimeoutException nothing came within the read deadline: the server is not answering
     * @throws IOException            the server closed the connection, or the answer is not HTTP/1.1
     */
    public Answer read() throws IOException {
        String statusLine = line();
        if (!statusLine.startsWith("HTTP/1.1 ")) {
            throw new IOException("not an HTTP/1.1 status line: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(); !header.isEmpty(); header = line()) {
            String lower = header.toLowerCase(Locale.ROOT);
            int colon = header.indexOf(':');
            if (colon > 0) {
                headers.put(lower.substring(0, colon).trim(), header.substring(colon + 1).trim());
            }
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            for (int size = chunkSize(); size > 0; size = chunkSize()) {
                body.write(in.readNBytes(size));
                line();
            }
            line();
        } else if (length > 0) {
            body.write(in.readNBytes(Math.toIntExact(length)));
        }
        return new Answer(status, headers, body.toString(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} and flushes; false once the server has closed the connection (a write fails then). */
    public boolean writeIfOpen(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return true;
        } catch (IOException closed) {
            return false;
        }
    }

    /**
     * Reads (and drops) whatever comes until the server closes the connection.
     *
     * @return how long it took
     * @throws AssertionError the server sent nothing and kept the connection open for the read deadline
     */
    public Duration awaitClosedByServer() throws IOException {
        long start = System.nanoTime();
        byte[] drop = new byte[8192];
        try {
            while (in.read(drop) >= 0) {
                // not what is asked about
            }
        } catch (SocketTimeoutException open) {
            throw new AssertionError("the server kept the connection open, silent for " + readDeadline, open);
        } catch (SocketException reset) {
            // closed with a reset: unread data was still on the connection
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * Writes {@code chunk} again and again, an endless request body, until the server closes the connection.
     *
     * @return how long that took, or null if the connection was still open after {@code atMost}
     */
    public Duration writeUntilClosedByServer(byte[] chunk, Duration atMost) {
        long start = System.nanoTime();
        while (System.nanoTime() - start < atMost.toNanos()) {
            // a server that stops reading blocks the write: the test's own timeout ends it then
            if (!writeIfOpen(chunk)) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
        }
        return null;
    }

    private int chunkSize() throws IOException {
        return Integer.parseInt(line().split(";")[0].trim(), 16);
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("the server closed the connection");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
