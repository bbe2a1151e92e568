package dev.revise.envs.code;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drains one output stream of a sandboxed process, keeping its first and last bytes. Draining
 * everything matters: a full pipe would block the candidate until the timeout.
 */
final class OutputCapture implements Runnable {
    private final InputStream in;
    private final byte[] head;
    private final byte[] tail;
    private final AtomicLong sharedTotal;
    private final long limit;
    private final Runnable onLimit;
    private int headLength;
    private long tailWritten;
    private long total;

    /**
     * @param kept bytes kept in all, half from the start and half from the end
     * @param sharedTotal bytes read by all captures of the run, compared against {@code limit}
     * @param onLimit called once (from this thread) when {@code sharedTotal} passes the limit
     */
    OutputCapture(InputStream in, int kept, AtomicLong sharedTotal, long limit, Runnable onLimit) {
        this.in = in;
        this.head = new byte[kept / 2];
        this.tail = new byte[kept - kept / 2];
        this.sharedTotal = sharedTotal;
        this.limit = limit;
        this.onLimit = onLimit;
    }

    @Override
    public void run() {
        byte[] buf = new byte[16384];
        boolean fired = false;
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                append(buf, n);
                if (!fired && sharedTotal.addAndGet(n) > limit) {
                    fired = true;
                    onLimit.run();
                }
            }
        } catch (IOException e) {
            // The stream closes when the process is killed; what was read so far is the result.
        }
    }

    private synchronized void append(byte[] buf, int n) {
        total += n;
        int off = 0;
        if (headLength < head.length) {
            int k = Math.min(n, head.length - headLength);
            System.arraycopy(buf, 0, head, headLength, k);
            headLength += k;
            off = k;
        }
        for (int i = off; i < n; i++) {
            tail[(int) (tailWritten++ % tail.length)] = buf[i];
        }
    }

    synchronized boolean truncated() {
        return tailWritten > tail.length;
    }

    synchronized String text() {
        String start = new String(head, 0, headLength, StandardCharsets.UTF_8);
        int keptTail = (int) Math.min(tailWritten, tail.length);
        byte[] end = new byte[keptTail];
        long from = tailWritten - keptTail;
        for (int i = 0; i < keptTail; i++) {
            end[i] = tail[(int) ((from + i) % tail.length)];
        }
        String omitted = truncated() ? "\n[... " + (total - headLength - keptTail) + " bytes omitted ...]\n" : "";
        return start + omitted + new String(end, StandardCharsets.UTF_8);
    }
}
