#!/usr/bin/env python3
"""Adds to a bundle an ONNX copy of one of its linear heads (same weights), for the head-speed
benchmark (``bin/fmstream bench-heads``): the plain-Java linear head and ONNX Runtime then run the
same arithmetic, so the comparison measures the runtime, not the model.

    python3 model-artifacts/recipe/linear_head_to_onnx.py --bundle DIR --task af --as af_onnx

The graph is Gemm(embedding, W^T, b) followed by Softmax (classification) or nothing
(regression), opset 17, batch axis dynamic; checked with onnx.checker. The manifest gains a head
entry for the new task (format onnx, tensor names embedding -> scores/value) with its sha256.
"""
import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", type=Path, required=True)
    ap.add_argument("--task", required=True, help="the linear head to copy")
    ap.add_argument("--as", dest="new_task", required=True, help="task name of the ONNX copy")
    args = ap.parse_args()
    manifest_path = args.bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    head = next(h for h in manifest["heads"] if h["task"] == args.task)
    if head.get("format") != "linear":
        raise SystemExit(f"head {args.task} is not a linear head")
    if any(h["task"] == args.new_task for h in manifest["heads"]):
        raise SystemExit(f"the bundle already has a task {args.new_task}")
    lin = json.loads((args.bundle / head["file"]).read_text())
    w = np.asarray(lin["weights"], dtype=np.float32)            # [out, in]
    b = np.asarray(lin["bias"], dtype=np.float32)
    out_name = "scores" if lin["activation"] == "softmax" else "value"
    nodes = [helper.make_node("Gemm", ["embedding", "W", "B"], ["logits" if out_name == "scores" else out_name],
                              transB=1)]
    if out_name == "scores":
        nodes.append(helper.make_node("Softmax", ["logits"], ["scores"], axis=-1))
    graph = helper.make_graph(
        nodes, f"{args.new_task}-linear",
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", w.shape[1]])],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["batch", w.shape[0]])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="fmstream")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    rel = f"heads/{args.new_task}.onnx"
    onnx.save(model, str(args.bundle / rel))
    entry = {k: v for k, v in head.items() if k not in ("format", "file", "sha256", "fit")}
    entry.update({"task": args.new_task, "name": head["name"] + "-onnx", "file": rel,
                  "sha256": hashlib.sha256((args.bundle / rel).read_bytes()).hexdigest(),
                  "inputName": "embedding", "outputName": out_name})
    manifest["heads"].append(entry)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {rel} ({w.shape[1]} -> {w.shape[0]}, {lin['activation']}) and its manifest entry")


if __name__ == "__main__":
    main()
