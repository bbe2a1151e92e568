package dev.revise.policies.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** Element types a safetensors file may hold that revise reads. */
public enum SafeDtype {
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    F64(8, true),
    I64(8, false),
    I32(4, false);

    private final int bytes;
    private final boolean isFloat;

    SafeDtype(int bytes, boolean isFloat) {
        this.bytes = bytes;
        this.isFloat = isFloat;
    }

    public int bytes() {
        return bytes;
    }

    public boolean isFloat() {
        return isFloat;
    }

    public static Optional<SafeDtype> parse(String name) {
        return Arrays.stream(values()).filter(d -> d.name().equals(name)).findFirst();
    }

    static String supportedNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }

    /**
     * Appends {@code count} little-endian elements of this type from {@code raw} (read from its
     * position) to {@code out} as native-order float32, advancing both.
     */
    void convertToFloat32(ByteBuffer raw, int count, ByteBuffer out) {
        switch (this) {
            case F32 -> {
                if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                    out.put(raw); // a plain copy
                } else {
                    for (int i = 0; i < count; i++) {
                        out.putFloat(raw.getFloat());
                    }
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out.putFloat(Float.intBitsToFloat((raw.getShort() & 0xFFFF) << 16));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out.putFloat(halfToFloat(raw.getShort()));
                }
            }
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    out.putFloat((float) raw.getDouble());
                }
            }
            default -> throw new IllegalStateException(this + " is not a float type");
        }
    }

    /**
     * Appends {@code count} native-order float32 values from {@code in} to {@code out} as
     * little-endian elements of this type (F32, BF16 or F16), rounding to nearest even.
     */
    void convertFromFloat32(ByteBuffer in, int count, ByteBuffer out) {
        out.order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case F32 -> {
                if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                    ByteBuffer slice = in.slice();
                    slice.limit(count * 4);
                    out.put(slice);
                    in.position(in.position() + count * 4);
                } else {
                    for (int i = 0; i < count; i++) {
                        out.putFloat(in.getFloat());
                    }
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out.putShort(floatToBfloat16(in.getFloat()));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out.putShort(floatToHalf(in.getFloat()));
                }
            }
            default -> throw new IllegalStateException("cannot write " + this + " weights");
        }
    }

    /**
     * binary32 to bfloat16, round to nearest even (as torch's {@code .to(torch.bfloat16)}); NaN stays
     * a quiet NaN with its sign.
     */
    static short floatToBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** IEEE 754 binary16 to binary32 (Float.float16ToFloat arrived only in Java 20). */
    static float halfToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign);
            }
            float value = mantissa / 1024f / 16384f; // subnormal: m * 2^-24
            return sign != 0 ? -value : value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** binary32 to binary16 with round-to-nearest-even (used to write F16 checkpoints). */
    static short floatToHalf(float value) {
        int f = Float.floatToRawIntBits(value);
        int sign = (f >>> 16) & 0x8000;
        int exp = (f >>> 23) & 0xFF;
        int mant = f & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
            half++;
        }
        return (short) (sign | half);
    }
}
