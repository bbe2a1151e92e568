package dev.revise.policies.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named tensors created in libtorch's memory and filled through a view of it (from a seeded
 * generator, or streamed from safetensors), so nothing the size of a tensor is staged in Java.
 */
public final class NativeTensors {
    private NativeTensors() {}

    /** Writes a tensor's float32 values into a native-order view of its memory. */
    public interface Filler {
        void fill(String name, ByteBuffer view);
    }

    /**
     * One tensor per entry of {@code shapes}, in its order, filled on the CPU as float32 and then
     * moved to {@code device} and {@code dtype}, attached to {@code owner}.
     */
    public static Map<String, NDArray> create(
            Map<String, long[]> shapes, NDManager owner, Device device, DataType dtype, Filler filler) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (NDManager staging = owner.newSubManager(Device.cpu())) {
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                NDArray cpu = staging.create(new Shape(e.getValue()), DataType.FLOAT32);
                filler.fill(e.getKey(), view(cpu, e.getKey()));
                NDArray p = cpu;
                if (!device.equals(Device.cpu())) {
                    p = cpu.toDevice(device, true);
                    cpu.close();
                }
                if (dtype != DataType.FLOAT32) {
                    NDArray converted = p.toType(dtype, true);
                    p.close();
                    p = converted;
                }
                p.attach(owner);
                out.put(e.getKey(), p);
            }
        }
        return out;
    }

    /** The tensors' values as native-order float32 bytes, one after the other (what weight syncs ship). */
    public static byte[] float32Bytes(java.util.Collection<NDArray> tensors) {
        long total = 0;
        for (NDArray p : tensors) {
            total += p.size() * 4;
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(total)).order(ByteOrder.nativeOrder());
        for (NDArray p : tensors) {
            if (p.getDataType() == DataType.FLOAT32) {
                out.put(p.toByteArray());
            } else {
                try (NDArray f = p.toType(DataType.FLOAT32, false)) {
                    out.put(f.toByteArray());
                }
            }
        }
        return out.array();
    }

    /** A native-order view of a CPU float32 tensor's own memory. */
    private static ByteBuffer view(NDArray cpu, String name) {
        ByteBuffer v = cpu.toByteBuffer(true);
        if (!v.isDirect() || v.capacity() != cpu.size() * 4) {
            throw new IllegalStateException("the engine gave no direct view of tensor '" + name + "'");
        }
        return v.order(ByteOrder.nativeOrder());
    }
}
