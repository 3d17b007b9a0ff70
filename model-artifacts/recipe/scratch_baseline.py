#!/usr/bin/env python3
"""Baseline (b) of the evaluation protocol: the encoder's architecture plus a linear layer, trained
end to end FROM SCRATCH on one draw's labelled windows only (no pretraining, no unlabelled data).

Reads the draws that `bin/fmstream evaluate` wrote (`<cache>/draws.json`: training and test
recordings per draw, the same draws every method sees) and the same dataset `.npz`; writes, per
draw, the window probabilities of the draw's test recordings (`<out>/<draw>.npy`, float32
[windows, 4], recordings in draws.json order, each recording's windows in dataset order).
`bin/fmstream evaluate --scratch-dir <out>` aggregates them with the job's recording rule
(RecordingAggregator), so this script never scores anything itself.

Training (fixed a priori, not tuned on test folds): AdamW lr 1e-3, weight decay 1e-2, batch 32,
train.py's rhythm-preserving augmentations (shift, polarity, amplitude modulation, drift, noise),
cross-entropy with each window weighted 1 / (windows of its recording) x the inverse class
frequency (the draws are balanced, so the latter matters only at `all`), linear warm-up then
cosine decay over a step budget of 40 epochs of the draw's windows, clamped to [200, 400] steps (CPU).
`all` runs one fold for one epoch and 100 per class two draws (CPU); the report says how many draws each method has.
Resumable: draws whose output exists are skipped.

    python3 model-artifacts/recipe/scratch_baseline.py \
        --dataset model-artifacts/ecg-fm-v2/data/cinc2017-all.npz \
        --draws model-artifacts/ecg-fm-v2/data/eval-cache/draws.json \
        --out model-artifacts/ecg-fm-v2/data/scratch
"""
import argparse
import json
import math
import zlib
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import train  # noqa: E402


class Classifier(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.encoder = train.Encoder()
        self.head = nn.Linear(train.EMBEDDING_DIM, classes)

    def forward(self, x):
        return self.head(self.encoder(x))


def run_draw(draw, windows, rec_windows, rec_label, classes, seed, all_epochs):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed + 1)
    train_idx, weights = [], []
    labels = [rec_label[r] for r in draw["train"]]
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    cw = np.where(counts > 0, len(labels) / (np.count_nonzero(counts) * np.maximum(counts, 1)), 0.0)
    ys = []
    for r in draw["train"]:
        ws = rec_windows[r]
        train_idx.extend(ws)
        weights.extend([cw[rec_label[r]] / len(ws)] * len(ws))
        ys.extend([rec_label[r]] * len(ws))
    train_idx = np.array(train_idx)
    w = torch.tensor(weights, dtype=torch.float32)
    y = torch.tensor(ys, dtype=torch.long)
    n = len(train_idx)
    bs = 32
    if draw["budget"] == "all":
        steps = int(all_epochs * n / bs)
    else:
        steps = int(min(400, max(200, 40 * n / bs)))
    model = Classifier(classes)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    warm = max(1, steps // 20)
    X = torch.from_numpy(windows[train_idx])
    model.train()
    for step in range(steps):
        lr = 1e-3 * (step + 1) / warm if step < warm else 1e-3 * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))
        for pg in opt.param_groups:
            pg["lr"] = lr
        idx = torch.randint(0, n, (min(bs, n),), generator=g)
        x, _ = train.augment(X[idx], g)
        loss = (F.cross_entropy(model(x), y[idx], reduction="none") * w[idx]).sum() / w[idx].sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()
    test_idx = np.concatenate([rec_windows[r] for r in draw["test"]])
    out = []
    with torch.no_grad():
        for i in range(0, len(test_idx), 512):
            out.append(torch.softmax(model(torch.from_numpy(windows[test_idx[i:i + 512]])), -1).numpy())
    return np.concatenate(out).astype(np.float32), steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--draws", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--budgets", default="5,10,25,100,all")
    ap.add_argument("--max-draws-100", type=int, default=2, help="draws at 100 per class (CPU)")
    ap.add_argument("--all-folds", type=int, default=1, help="folds at 'all' (CPU)")
    ap.add_argument("--all-epochs", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20261203)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    spec = json.loads(args.draws.read_text())
    with np.load(args.dataset) as z:
        windows = z["windows"]
        device = z["device"]
        names = [str(s).split("/")[-2] for s in z["device_names"]]
        rhythm = z["rhythm"]
    index = {nm: i for i, nm in enumerate(names)}
    order = np.argsort(device, kind="stable")
    bounds = np.searchsorted(device[order], np.arange(len(names) + 1))
    dev_windows = [order[bounds[i]:bounds[i + 1]] for i in range(len(names))]
    rec_windows = {nm: dev_windows[index[nm]] for nm in spec["records"]}
    rec_label = {nm: int(rhythm[dev_windows[index[nm]][0]]) for nm in spec["records"]}
    args.out.mkdir(parents=True, exist_ok=True)
    budgets = args.budgets.split(",")
    todo = []
    for d in spec["draws"]:
        b, k = d["budget"], int(d["key"].split("-")[-1])
        if b not in budgets or (b == "100" and k >= args.max_draws_100) or (b == "all" and k >= args.all_folds):
            continue
        todo.append(d)
    # small budgets first, interleaved by draw, so a partial run still covers every small budget
    rank = {b: i for i, b in enumerate(budgets)}
    todo.sort(key=lambda d: (d["budget"] in ("100", "all"), int(d["key"].split("-")[-1]), rank[d["budget"]]))
    t0 = time.time()
    for d in todo:
        f = args.out / f"{d['key']}.npy"
        if f.exists():
            continue
        t = time.time()
        p, steps = run_draw(d, windows, rec_windows, rec_label, 4, args.seed + zlib.crc32(d["key"].encode()) % 100000, args.all_epochs)
        tmp = f.with_suffix(".tmp.npy")
        np.save(tmp, p)
        tmp.rename(f)
        print(f"[{time.time() - t0:7.0f}s] scratch {d['key']}: {len(d['train'])} recordings, {steps} steps, "
              f"{time.time() - t:.0f}s", flush=True)


if __name__ == "__main__":
    main()
