#!/usr/bin/env python3
"""Static int8 quantisation of a bundle's encoder as a QDQ ONNX graph, calibrated on real windows.

    /usr/bin/python3 model-artifacts/recipe/quantize_encoder.py \
        --encoder model-artifacts/ecg-fm-v2/encoder.onnx \
        --calibration windows-mitdb.npz --max-windows 2000 \
        --out encoder-int8.onnx [--ranges ranges.json]

Debian has no ONNX Runtime (so none of its quantisation tool), but a QDQ graph is plain ONNX:
every Conv gets its input and output wrapped in QuantizeLinear -> DequantizeLinear (uint8,
asymmetric, ranges calibrated), its weights stored as int8 per output channel (symmetric) behind a
DequantizeLinear, its bias as int32 at input scale x weight scale. ONNX Runtime fuses each
DQ -> Conv -> Q into one QLinearConv (u8s8 kernels, VNNI where the CPU has it) when it optimises
the graph at load; what is not a Conv (GELU, the residual adds, the pooling, the final Gemm)
stays float32.

Calibration: the float graph is run on the calibration windows with a small evaluator written on
torch's functional ops (the encoder uses only Conv, GELU as Div/Erf/Add/Mul, Add, ReduceMean,
Gemm, Unsqueeze and Constant), and each quantised tensor's range is the min and max over the
windows (widened to include 0, so zero padding is exact). Calibrate on the developers' data only
(windows of `bin/fmstream dataset`), never on what the figures are reported on.
"""
import argparse
import json
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def evaluate(graph, x, keep):
    """Runs the float graph on x [n, samples]; returns the tensors named in keep (numpy)."""
    env = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
    env[graph.input[0].name] = torch.from_numpy(x)
    out = {}
    for n in graph.node:
        a = attrs(n)
        i = [env[name] if name else None for name in n.input]
        op = n.op_type
        if op == "Constant":
            r = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
        elif op == "Unsqueeze":
            r = i[0]
            for axis in sorted(int(v) for v in i[1].flatten().tolist()):
                r = r.unsqueeze(axis)
        elif op == "Conv":
            pads = a.get("pads", [0, 0])
            if pads[0] != pads[1]:
                raise SystemExit(f"asymmetric pads in {n.name}")
            r = F.conv1d(i[0], i[1], i[2] if len(i) > 2 else None, stride=a.get("strides", [1])[0],
                         padding=pads[0], dilation=a.get("dilations", [1])[0], groups=a.get("group", 1))
        elif op == "Div":
            r = i[0] / i[1]
        elif op == "Mul":
            r = i[0] * i[1]
        elif op == "Add":
            r = i[0] + i[1]
        elif op == "Erf":
            r = torch.erf(i[0])
        elif op == "ReduceMean":
            axes = a.get("axes") if "axes" in a else i[1].tolist()
            r = i[0].mean(dim=tuple(axes), keepdim=bool(a.get("keepdims", 1)))
        elif op == "Gemm":
            A, B = i[0], i[1]
            if a.get("transA", 0):
                A = A.t()
            if a.get("transB", 0):
                B = B.t()
            r = a.get("alpha", 1.0) * (A @ B)
            if len(i) > 2 and i[2] is not None:
                r = r + a.get("beta", 1.0) * i[2]
        else:
            raise SystemExit(f"operator {op} not supported by the calibration evaluator")
        env[n.output[0]] = r
        if n.output[0] in keep:
            out[n.output[0]] = r.numpy()
    return out, env[graph.output[0].name].numpy()


def uint8_params(lo, hi):
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zp = int(np.clip(round(-lo / scale), 0, 255))
    return np.float32(scale), np.uint8(zp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", type=Path, required=True)
    ap.add_argument("--calibration", type=Path, required=True, help="windows .npz (bin/fmstream dataset)")
    ap.add_argument("--max-windows", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, help="the quantised encoder (.onnx)")
    ap.add_argument("--bundle-from", type=Path, help="the float32 bundle whose encoder is quantised")
    ap.add_argument("--bundle-out", type=Path,
                    help="write a whole bundle: the --bundle-from bundle with the quantised encoder")
    ap.add_argument("--bundle-id", help="bundle id of --bundle-out (default: <from>-int8)")
    ap.add_argument("--ranges", type=Path, help="also write the calibrated ranges (JSON)")
    # Why 0 and 1: the stem reads the z-scored signal itself, and block 0's first Conv reads the
    # stem's GELU output, whose calibrated range (about -0.17..30) is set by rare spikes: on windows
    # that are mostly flat, with a spike or two, 8 bits over that range leave the rest of the
    # signal a few levels, and their embeddings drift (cosine down to 0.91 on held-out windows).
    # Block 0's shortcut reads the same quantised tensor without harm. Keeping the two in float32
    # costs 4 % of the FLOPs and about 7 % of the int8 encoder's speed (see the bundle's card).
    ap.add_argument("--keep-float", type=int, nargs="*", default=[0, 1],
                    help="Conv nodes (0-based, graph order) left in float32 (default: 0 1, the stem "
                         "and block 0's first Conv)")
    ap.add_argument("--revision", type=int, default=None,
                    help="quantisation revision of the same float model: version <float>-int8.<n>")
    args = ap.parse_args()
    if args.bundle_out:
        if not args.bundle_from:
            raise SystemExit("--bundle-out needs --bundle-from")
        args.out = args.bundle_out / "encoder.onnx"
        args.bundle_out.mkdir(parents=True, exist_ok=True)
    if not args.out:
        raise SystemExit("give --out or --bundle-out")

    model = onnx.load(args.encoder)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    all_convs = [n for n in g.node if n.op_type == "Conv"]
    convs = [n for k, n in enumerate(all_convs) if k not in set(args.keep_float)]
    quantise = {id(n) for n in convs}
    tensors = set()
    for n in convs:
        tensors.add(n.input[0])
        tensors.add(n.output[0])

    windows = np.load(args.calibration)["windows"].astype(np.float32)
    rng = np.random.default_rng(args.seed)
    pick = rng.choice(len(windows), size=min(args.max_windows, len(windows)), replace=False)
    lo = {t: np.inf for t in tensors}
    hi = {t: -np.inf for t in tensors}
    # The graph's own input is the window; the first Conv's input is its unsqueezed copy.
    with torch.no_grad():
        for start in range(0, len(pick), 256):
            got, _ = evaluate(g, windows[np.sort(pick[start:start + 256])], tensors)
            for t, v in got.items():
                lo[t] = min(lo[t], float(v.min()))
                hi[t] = max(hi[t], float(v.max()))
    ranges = {t: [lo[t], hi[t]] for t in sorted(tensors)}
    if args.ranges:
        args.ranges.write_text(json.dumps(ranges, indent=1))

    new_nodes, new_inits = [], []
    qdq_of = {}  # tensor -> its quantised tensor name (one Q per tensor; one DQ per consumer)
    counter = [0]

    def params(t):
        s, zp = uint8_params(*ranges[t])
        sn, zn = t + "_scale", t + "_zp"
        if sn not in {i.name for i in new_inits}:
            new_inits.append(numpy_helper.from_array(np.array(s, dtype=np.float32), sn))
            new_inits.append(numpy_helper.from_array(np.array(zp, dtype=np.uint8), zn))
        return sn, zn, float(s)

    def quantized(t, out_nodes):
        if t not in qdq_of:
            sn, zn, _ = params(t)
            qdq_of[t] = t + "_q"
            out_nodes.append(helper.make_node("QuantizeLinear", [t, sn, zn], [t + "_q"]))
        return qdq_of[t]

    def dq(t, out_nodes):
        sn, zn, _ = params(t)
        counter[0] += 1
        name = f"{t}_dq{counter[0]}"
        out_nodes.append(helper.make_node("DequantizeLinear", [quantized(t, out_nodes), sn, zn], [name]))
        return name

    renamed = {}  # conv output -> the DQ'd name its consumers read
    for n in g.node:
        ins = [renamed.get(x, x) for x in n.input]
        if n.op_type != "Conv" or id(n) not in quantise:
            del n.input[:]
            n.input.extend(ins)
            new_nodes.append(n)
            continue
        x, w_name = n.input[0], n.input[1]
        b_name = n.input[2] if len(n.input) > 2 else None
        pre = []
        x_dq = dq(x, pre)
        _, _, x_scale = params(x)
        w = numpy_helper.to_array(inits[w_name]).astype(np.float32)
        w_scale = np.maximum(np.abs(w).reshape(w.shape[0], -1).max(axis=1), 1e-12) / 127.0
        w_q = np.clip(np.round(w / w_scale[:, None, None]), -127, 127).astype(np.int8)
        new_inits += [numpy_helper.from_array(w_q, w_name + "_int8"),
                      numpy_helper.from_array(w_scale.astype(np.float32), w_name + "_wscale"),
                      numpy_helper.from_array(np.zeros(w.shape[0], dtype=np.int8), w_name + "_wzp")]
        pre.append(helper.make_node("DequantizeLinear", [w_name + "_int8", w_name + "_wscale", w_name + "_wzp"],
                                    [w_name + "_dq"], axis=0))
        conv_in = [x_dq, w_name + "_dq"]
        if b_name:
            b = numpy_helper.to_array(inits[b_name]).astype(np.float64)
            b_scale = (x_scale * w_scale).astype(np.float32)
            b_q = np.round(b / b_scale).astype(np.int32)
            new_inits += [numpy_helper.from_array(b_q, b_name + "_int32"),
                          numpy_helper.from_array(b_scale, b_name + "_bscale"),
                          numpy_helper.from_array(np.zeros(w.shape[0], dtype=np.int32), b_name + "_bzp")]
            pre.append(helper.make_node("DequantizeLinear", [b_name + "_int32", b_name + "_bscale", b_name + "_bzp"],
                                        [b_name + "_dq"], axis=0))
            conv_in.append(b_name + "_dq")
        new_nodes += pre
        y = n.output[0]
        conv = helper.make_node("Conv", conv_in, [y], name=n.name, **attrs(n))
        new_nodes.append(conv)
        post = []
        renamed[y] = dq(y, post)
        new_nodes += post
    # Weights now live as int8; drop the float copies that nothing reads.
    used = {x for n in new_nodes for x in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    del g.node[:]
    g.node.extend(new_nodes)
    for o in g.output:
        if o.name in renamed:
            raise SystemExit("a Conv output is a graph output; not supported")
    onnx.checker.check_model(model)
    onnx.save(model, args.out)

    # The QDQ graph evaluated as plain arithmetic is not what ONNX Runtime's fused kernels compute
    # bit for bit; the job-side check (cosine against float32 on held-out windows) is in Java.
    print(f"wrote {args.out}: {len(convs)} Conv quantised, {args.out.stat().st_size} bytes "
          f"(float32 {args.encoder.stat().st_size}); calibrated on {len(pick)} windows of {args.calibration}")
    if args.bundle_out:
        kept = [n.name for k, n in enumerate(all_convs) if k in set(args.keep_float)]
        write_bundle(args, len(convs), len(all_convs), kept, len(pick))


def sha256(path):
    import hashlib
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_bundle(args, quantised, convs, kept, windows):
    """The float bundle with the quantised encoder: heads and their files unchanged (they were
    trained on the float encoder, which `quantizedFrom` names, so the job lets them read this one),
    golden.json the float bundle's (CommittedBundlesGoldenTest checks this encoder against the float
    outputs by cosine, not to 1e-4)."""
    import shutil
    src, dst = args.bundle_from, args.bundle_out
    manifest = json.loads((src / "manifest.json").read_text())
    float_sha = manifest["encoder"]["sha256"]
    if sha256(args.encoder) != float_sha:
        raise SystemExit(f"--encoder is not the encoder of {src}")
    for h in manifest["heads"]:
        (dst / h["file"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / h["file"], dst / h["file"])
    bundle_id = args.bundle_id or manifest["bundleId"] + "-int8"
    manifest["bundleId"] = bundle_id
    suffix = "-int8" + (f".{args.revision}" if args.revision else "")
    manifest["version"] = manifest["version"] + suffix
    enc = manifest["encoder"]
    enc["name"] = enc["name"] + "-int8"
    enc["version"] = enc["version"] + suffix
    enc["file"] = "encoder.onnx"
    enc["sha256"] = sha256(args.out)
    enc["quantizedFrom"] = float_sha
    manifest["metrics"] = {
        "quantizedFrom": src.name,
        "quantisation": f"static int8 QDQ, {quantised} of {convs} Conv ({', '.join(kept) or 'none'} float32), "
                        f"u8 activations (min/max over {windows} calibration windows), s8 weights per "
                        f"output channel; model-artifacts/recipe/quantize_encoder.py",
        "details": "MODEL_CARD.md (the figures of bin/fmstream compare-encoders)",
    }
    (dst / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    golden = json.loads((src / "golden.json").read_text())
    golden["bundleId"] = bundle_id
    golden["quantizedFrom"] = float_sha
    golden["note"] = ("the float32 bundle's golden vectors (" + src.name + "): this encoder is checked "
                      "against them by cosine (>= 0.99 per row) and the heads by their decisions. "
                      + golden.get("note", ""))
    (dst / "golden.json").write_text(json.dumps(golden) + "\n")
    print(f"wrote bundle {dst} ({bundle_id}); write its MODEL_CARD.md from bin/fmstream compare-encoders")


if __name__ == "__main__":
    main()
