package dev.revise.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden bytes from the tensorboard package (2.21: its protobuf Event messages and {@code
 * masked_crc32c}); the interop suite reads a real run's files with tensorboard's own reader.
 */
class TensorBoardWriterTest {
    @TempDir
    Path dir;

    @Test
    void crcAndEventsMatchTensorBoardsBytes() {
        assertEquals(0xc78ab0e5, TensorBoardWriter.maskedCrc32c("123456789".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(0xa282ead8, TensorBoardWriter.maskedCrc32c(new byte[0]));
        HexFormat hex = HexFormat.of();
        assertEquals(
                "09000000000000f83f10032a140a120a0b6576616c2f6163635f7431150000803e",
                hex.formatHex(TensorBoardWriter.event(1.5, 3, null, Map.of("eval/acc_t1", 0.25f), false)));
        assertEquals(
                "09000000000000004010073a020801", hex.formatHex(TensorBoardWriter.event(2.0, 7, null, Map.of(), true)));
        assertEquals(
                "0900000000000000401a0d627261696e2e4576656e743a32",
                hex.formatHex(TensorBoardWriter.event(2.0, 0, "brain.Event:2", Map.of(), false)));
    }

    @Test
    void aFileIsFramedRecordsWithTheirCrcs() throws Exception {
        Map<String, Double> row = new LinkedHashMap<>();
        row.put("policy/loss", 0.5);
        row.put("eval/acc_t1", Double.NaN); // not finite: left out, as metrics.jsonl writes null
        Path file;
        try (TensorBoardWriter w = TensorBoardWriter.open(dir.resolve("tb"), 4)) {
            w.scalars(5, row);
            file = w.file();
        }
        assertThat(file.getParent()).isEqualTo(dir.resolve("tb"));
        assertThat(file.getFileName().toString()).startsWith("events.out.tfevents.");
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> records = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] len = new byte[8];
            b.get(len);
            assertEquals(TensorBoardWriter.maskedCrc32c(len), b.getInt());
            byte[] data = new byte
                    [(int) ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong()];
            b.get(data);
            assertEquals(TensorBoardWriter.maskedCrc32c(data), b.getInt());
            records.add(data);
        }
        assertEquals(3, records.size(), "file version, SessionLog START at 5, the row");
        assertThat(new String(records.get(0), StandardCharsets.ISO_8859_1)).endsWith("brain.Event:2");
        assertArrayEquals(new byte[] {0x10, 5, 0x3a, 2, 8, 1}, java.util.Arrays.copyOfRange(records.get(1), 9, 15));
        String last = new String(records.get(2), StandardCharsets.ISO_8859_1);
        assertThat(last).contains("policy/loss").doesNotContain("eval/acc_t1");
    }
}
