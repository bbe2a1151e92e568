package dev.revise.policies.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An NDArray as a {@link SafetensorsWriter.Source}: a view of its memory when it is a CPU float32
 * tensor, else a CPU float32 copy that lives only while the tensor is written (so saving a model
 * or an optimizer never copies it whole into the Java heap).
 */
public final class TensorSource implements SafetensorsWriter.Source {
    private final NDArray array;
    private NDArray copy;

    public TensorSource(NDArray array) {
        this.array = array;
    }

    @Override
    public long[] shape() {
        return array.getShape().getShape();
    }

    @Override
    public ByteBuffer open() {
        NDArray source = array;
        if (!array.getDevice().equals(Device.cpu()) || array.getDataType() != DataType.FLOAT32) {
            NDArray moved = array.toDevice(Device.cpu(), true);
            copy = moved.toType(DataType.FLOAT32, true);
            moved.close();
            source = copy;
        }
        return source.toByteBuffer(true).order(ByteOrder.nativeOrder());
    }

    @Override
    public void release() {
        if (copy != null) {
            copy.close();
            copy = null;
        }
    }
}
