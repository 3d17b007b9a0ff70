#!/usr/bin/env python3
"""Exports the encoder architecture of train.py with random (untrained) weights to ONNX: the
"frozen random encoder" baseline of the evaluation protocol (`bin/fmstream evaluate
--random-encoder`). Same initialisation seed as train.py's own random-encoder baseline.

    python3 model-artifacts/recipe/random_encoder.py --out model-artifacts/ecg-fm-v2/data/random-encoder.onnx
"""
import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch  # noqa: E402
import train  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    torch.manual_seed(train.SEED + 5)
    enc = train.Encoder().eval()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    train.export_onnx(enc, torch.zeros(2, train.L), args.out, "window", "embedding")
    print(f"{train.sha256_file(args.out)}  {args.out}")


if __name__ == "__main__":
    main()
