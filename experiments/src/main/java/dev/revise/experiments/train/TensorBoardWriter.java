package dev.revise.experiments.train;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * TensorBoard event files of a run, in {@code <run>/tensorboard/} (no subdirectories): every
 * metrics.jsonl row is one {@code Event} at the row's step with one {@code simple_value} per
 * finite metric, tagged with its metrics.jsonl key.
 *
 * <p>The format is TensorFlow's record framing, with {@code Event} and {@code Summary} encoded as
 * protobuf by hand (four fields; no protobuf runtime):
 *
 * <pre>
 *   record  = uint64 length (LE) | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)
 *   masked  = ((crc >>> 15) | (crc << 17)) + 0xa282ead8
 *   Event   = 1: wall_time (double) | 2: step (int64) | 3: file_version (string)
 *           | 5: summary (Summary) | 7: session_log (SessionLog)
 *   Summary = repeated 1: value { 1: tag (string) | 2: simple_value (float) }
 * </pre>
 *
 * <p>Each process writes its own file. A resumed run first writes a {@code SessionLog START} at
 * the step it resumes from, which makes TensorBoard drop what an interrupted process logged past
 * the checkpoint (metrics.jsonl drops those rows too).
 */
final class TensorBoardWriter implements Closeable {
    private final OutputStream out;
    private final Path file;

    private TensorBoardWriter(Path file) throws IOException {
        this.file = file;
        this.out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    /**
     * A new event file in {@code dir}, begun with the file-version event; with {@code
     * resumedAfter} >= 0, followed by the SessionLog START at {@code resumedAfter + 1}.
     */
    static TensorBoardWriter open(Path dir, long resumedAfter) throws IOException {
        Files.createDirectories(dir);
        String host = java.net.InetAddress.getLoopbackAddress().getHostName();
        long now = System.currentTimeMillis();
        // TensorBoard reads the files of a directory in name order: time, then pid, keep them apart
        Path file = dir.resolve(String.format(
                Locale.ROOT,
                "events.out.tfevents.%d.%s.%d.%d.revise",
                now / 1000,
                host,
                ProcessHandle.current().pid(),
                System.nanoTime() & 0xffffff));
        TensorBoardWriter w = new TensorBoardWriter(file);
        w.write(event(now / 1000.0, 0, "brain.Event:2", Map.of(), false));
        if (resumedAfter >= 0) {
            w.write(event(now / 1000.0, resumedAfter + 1, null, Map.of(), true));
        }
        w.out.flush();
        return w;
    }

    Path file() {
        return file;
    }

    /** One metrics row: its finite values as simple_values at {@code step}; flushed. */
    void scalars(long step, Map<String, Double> values) throws IOException {
        Map<String, Float> finite = new java.util.LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (v != null && Double.isFinite(v)) {
                finite.put(k, v.floatValue());
            }
        });
        write(event(System.currentTimeMillis() / 1000.0, step, null, finite, false));
        out.flush();
    }

    private void write(byte[] data) throws IOException {
        out.write(record(data));
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** TensorFlow's record framing of {@code data}. */
    static byte[] record(byte[] data) {
        byte[] len = new byte[8];
        long n = data.length;
        for (int i = 0; i < 8; i++) {
            len[i] = (byte) (n >>> (8 * i));
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream(data.length + 16);
        b.writeBytes(len);
        b.writeBytes(le32(maskedCrc32c(len)));
        b.writeBytes(data);
        b.writeBytes(le32(maskedCrc32c(data)));
        return b.toByteArray();
    }

    static int maskedCrc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    /** An Event message: the file version, a summary of scalars, or a SessionLog START. */
    static byte[] event(double wallTime, long step, String fileVersion, Map<String, Float> scalars, boolean start) {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        e.write(tag(1, 1));
        e.writeBytes(le64(Double.doubleToLongBits(wallTime)));
        if (step != 0) {
            e.write(tag(2, 0));
            varint(e, step);
        }
        if (fileVersion != null) {
            bytesField(e, 3, fileVersion.getBytes(StandardCharsets.UTF_8));
        }
        if (!scalars.isEmpty()) {
            ByteArrayOutputStream summary = new ByteArrayOutputStream();
            for (Map.Entry<String, Float> s : scalars.entrySet()) {
                ByteArrayOutputStream value = new ByteArrayOutputStream();
                bytesField(value, 1, s.getKey().getBytes(StandardCharsets.UTF_8));
                value.write(tag(2, 5));
                value.writeBytes(le32(Float.floatToIntBits(s.getValue())));
                bytesField(summary, 1, value.toByteArray());
            }
            bytesField(e, 5, summary.toByteArray());
        }
        if (start) {
            bytesField(e, 7, new byte[] {(byte) tag(1, 0), 1}); // SessionLog { status: START }
        }
        return e.toByteArray();
    }

    private static int tag(int field, int wireType) {
        return (field << 3) | wireType;
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] bytes) {
        out.write(tag(field, 2));
        varint(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static byte[] le32(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    private static byte[] le64(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }
}
