#!/usr/bin/env python3
"""Writes a test fixture: an ONNX classification head that loads like a good one and fails at
every run, for the tests of a failing head (the job keeps the other tasks going, counts the
failures, and FmstreamTaskWithoutPredictions fires).

    /usr/bin/python3 model-artifacts/recipe/failing_head_fixture.py \
        --embedding-dim 32 --labels 4 \
        --out integration-tests/src/test/resources/io/fmstream/it/failing-head.onnx

Its declared tensors are what the job checks at load (input ``embedding`` [batch, dim], output
``scores`` [batch, labels], float32), so ModelBundle accepts it; inside, a Reshape to
[-1, dim + 1] cannot hold a whole number of rows for any batch of fewer than dim + 1 embeddings,
so ONNX Runtime fails at run time ("cannot be reshaped to the requested shape"), as a broken
export would. A fixture, never a model: its weights are zeros.

With ``--batch-of-one`` the Reshape is to [1, dim] instead: the head runs on one embedding at a
time and fails on any batch of two or more, as an export with a fixed batch size of 1 does (the
job's head operator then scores such a head one window per call):

    /usr/bin/python3 model-artifacts/recipe/failing_head_fixture.py --batch-of-one \
        --embedding-dim 32 --labels 4 \
        --out flink-jobs/src/test/resources/io/fmstream/job/functions/batch-of-one-head.onnx
"""
import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embedding-dim", type=int, required=True)
    ap.add_argument("--labels", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument(
        "--batch-of-one", action="store_true", help="fail only on batches of 2 or more"
    )
    args = ap.parse_args()
    d, k = args.embedding_dim, args.labels
    if args.batch_of_one:
        # The target shape [batch / batch, width] = [1, width] is computed from the input at
        # run time, so that ONNX Runtime's shape inference leaves the batch axis of the output
        # unknown (a constant [1, d] would declare the output [1, k], and ModelBundle refuses a
        # head whose batch axis is fixed).
        w = numpy_helper.from_array(np.zeros((d, k), dtype=np.float32), "W")
        constants = [
            numpy_helper.from_array(np.array([v], dtype=np.int64), name)
            for name, v in (("zero", 0), ("one", 1), ("two", 2))
        ]
        nodes = [
            helper.make_node("Shape", ["embedding"], ["in_shape"]),
            helper.make_node("Slice", ["in_shape", "zero", "one"], ["batch"]),
            helper.make_node("Div", ["batch", "batch"], ["unit"]),
            helper.make_node("Slice", ["in_shape", "one", "two"], ["width"]),
            helper.make_node("Concat", ["unit", "width"], ["shape"], axis=0),
        ]
        initializers = constants + [w]
    else:
        shape = numpy_helper.from_array(np.array([-1, d + 1], dtype=np.int64), "shape")
        w = numpy_helper.from_array(np.zeros((d + 1, k), dtype=np.float32), "W")
        nodes = []
        initializers = [shape, w]
    nodes += [
        helper.make_node("Reshape", ["embedding", "shape"], ["rows"]),
        helper.make_node("MatMul", ["rows", "W"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["scores"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "failing_head_fixture",
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", d])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", k])],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
