package dev.revise.policies;

import ai.djl.Device;
import ai.djl.engine.Engine;

/**
 * Where the policy runs and in what precision. CPU runs float32; float16/bfloat16 weights need a
 * CUDA device (the CPU build of libtorch aborts the JVM on bfloat16 casts, docs/platform.md pitfall 8).
 *
 * @param device {@code cpu}, {@code cuda} or {@code cuda:N}
 * @param dtype {@code float32}, {@code float16} or {@code bfloat16}
 */
public record DeviceSpec(String device, String dtype) {
    public DeviceSpec {
        if (!device.equals("cpu") && !device.matches("cuda(:\\d+)?")) {
            throw new IllegalArgumentException("run.device must be cpu, cuda or cuda:N, got '" + device + "'");
        }
        if (!dtype.equals("float32") && !dtype.equals("float16") && !dtype.equals("bfloat16")) {
            throw new IllegalArgumentException("run.dtype must be float32, float16 or bfloat16, got '" + dtype + "'");
        }
        if (device.equals("cpu") && !dtype.equals("float32")) {
            throw new IllegalArgumentException("run.dtype " + dtype + " is refused on cpu: the CPU build of libtorch"
                    + " aborts on bfloat16 and runs float16 matmuls slower than float32; use float32 or a cuda device");
        }
    }

    public static DeviceSpec cpu() {
        return new DeviceSpec("cpu", "float32");
    }

    /** The DJL element type of the weights. */
    public ai.djl.ndarray.types.DataType dataType() {
        return switch (dtype) {
            case "float16" -> ai.djl.ndarray.types.DataType.FLOAT16;
            case "bfloat16" -> ai.djl.ndarray.types.DataType.BFLOAT16;
            default -> ai.djl.ndarray.types.DataType.FLOAT32;
        };
    }

    /** The DJL device; fails with a clear message if CUDA is asked for but the engine has no GPU. */
    public Device toDevice() {
        if (device.equals("cpu")) {
            return Device.cpu();
        }
        int id = device.contains(":") ? Integer.parseInt(device.substring(device.indexOf(':') + 1)) : 0;
        int gpus = Engine.getInstance().getGpuCount();
        if (id >= gpus) {
            throw new IllegalArgumentException("run.device " + device + " requested but the PyTorch engine sees " + gpus
                    + " GPU(s); install a CUDA build of libtorch (PYTORCH_FLAVOR=cu128) or use cpu");
        }
        return Device.gpu(id);
    }
}
