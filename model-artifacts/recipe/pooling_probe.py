#!/usr/bin/env python3
"""Diagnostic, not a bundle: exports a pretrained checkpoint's encoder with its last feature map
pooled by mean AND standard deviation over time ([batch, 2 x channels], no projection, no
retraining), so `bin/fmstream evaluate --compare-encoder meanstd=<file>` can measure whether the
beat-to-beat variability that mean pooling averages away is linearly readable (AF is irregularity).

    python3 model-artifacts/recipe/pooling_probe.py --checkpoint ck.pt --out probe.onnx
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import train  # noqa: E402


class MeanStdFeatures(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, window):
        f = self.encoder.features(window)
        mean = f.mean(dim=-1)
        std = ((f - mean.unsqueeze(-1)) ** 2).mean(dim=-1).clamp(min=1e-8).sqrt()
        return torch.cat([mean, std], dim=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    ck = torch.load(args.checkpoint)
    m = train.MaskedAutoencoder()
    m.load_state_dict(ck["state_dict"])
    probe = MeanStdFeatures(m.encoder).eval()
    train.export_onnx(probe, torch.zeros(2, train.L), args.out, "window", "embedding")
    print(f"{train.sha256_file(args.out)}  {args.out}")


if __name__ == "__main__":
    main()
