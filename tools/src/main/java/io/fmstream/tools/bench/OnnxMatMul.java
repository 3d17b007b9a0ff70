package io.fmstream.tools.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A one-node ONNX model, {@code Y = A x B} with A [m, k] and B [k, n] float32 inputs, written as
 * protobuf bytes here: the machine's float32 matrix-multiply peak measured through the same ONNX
 * Runtime (same MLAS kernels, same thread pool) that runs the encoder, without a model file to
 * fetch or commit. Only the few fields a MatMul graph needs are encoded (field numbers from onnx's
 * {@code onnx.proto}).
 */
public final class OnnxMatMul {

    private OnnxMatMul() {}

    /** ONNX TensorProto element types used here. */
    private static final int FLOAT = 1;

    private static final int UINT8 = 2;
    private static final int INT8 = 3;
    private static final int INT32 = 6;

    /** The serialised ModelProto (IR version 8, default opset 17) of a float32 MatMul. */
    public static byte[] model(int m, int k, int n) {
        return model(m, k, n, "MatMul", FLOAT, FLOAT, FLOAT);
    }

    /**
     * {@code Y = A x B} in 8-bit integers ({@code MatMulInteger}: A uint8, B int8, Y int32), the
     * kernel an int8-quantised encoder's convolutions and projections run on: whether it is faster
     * than float32 on this CPU decides whether quantising can pay.
     */
    public static byte[] int8Model(int m, int k, int n) {
        return model(m, k, n, "MatMulInteger", UINT8, INT8, INT32);
    }

    private static byte[] model(int m, int k, int n, String op, int typeA, int typeB, int typeY) {
        Proto graph = new Proto();
        Proto node = new Proto();
        node.string(1, "A").string(1, "B").string(2, "Y").string(3, "matmul").string(4, op);
        graph.message(1, node);
        graph.string(2, "gemm-peak");
        graph.message(11, tensor("A", typeA, m, k));
        graph.message(11, tensor("B", typeB, k, n));
        graph.message(12, tensor("Y", typeY, m, n));
        Proto opset = new Proto().string(1, "").varint(2, 17);
        Proto model = new Proto();
        model.varint(1, 8); // ir_version
        model.string(2, "fmstream"); // producer_name
        model.message(7, graph);
        model.message(8, opset);
        return model.bytes();
    }

    /** Floating-point operations of one call: 2 m k n (a multiply and an add per term). */
    public static double flops(int m, int k, int n) {
        return 2.0 * m * k * n;
    }

    /** ValueInfoProto of a tensor of {@code elemType} with a static shape. */
    private static Proto tensor(String name, int elemType, long... dims) {
        Proto shape = new Proto();
        for (long d : dims) {
            shape.message(1, new Proto().varint(1, d));
        }
        Proto tensorType = new Proto().varint(1, elemType).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
    }

    /** Protobuf wire format: varints and length-delimited fields, which is all ONNX needs here. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            raw((long) field << 3);
            raw(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto value) {
            return bytes(field, value.bytes());
        }

        private Proto bytes(int field, byte[] value) {
            raw(((long) field << 3) | 2);
            raw(value.length);
            out.writeBytes(value);
            return this;
        }

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
