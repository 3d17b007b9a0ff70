#!/usr/bin/env python3
"""Writes SMALL SYNTHETIC stand-in datasets with the same keys as the Java dataset builder.

For smoke tests of ``train.py`` only (``--quick``): it lets the recipe run end to end without the
Java build or the PhysioNet files. The windows are crude ECG-like waveforms (Gaussian P/QRS/T
bumps at simulated beat times; "af" = irregular RR without P waves plus f-waves; "other" =
a premature wide beat every 4th beat; "noisy" = heavy noise), never real data. A bundle trained
on them means nothing.

    python3 model-artifacts/recipe/make_synthetic_data.py --out scratch/fm-synth

writes sim-train.npz, sim-test.npz, real-all.npz, mitdb100.npz, cinc2017.npz and cinc2017-all.npz with the keys
of the contract (windows float32 [N,1000] z-scored per window, missing_fraction, hr_bpm, rhythm,
quality, noise_rms_mv, rhythm_fraction, device, window_start_s, source, device_names,
source_names).
"""

import argparse
from pathlib import Path

import numpy as np

FS = 100
N = 1000
SOURCES = np.array(["sim", "mitdb", "cinc2017", "ptbdb"], dtype="<U16")


def beat_wave(t, centre, wide=False, p_wave=True):
    """One beat as Gaussian bumps (mV-ish amplitudes), evaluated on times t (s)."""
    y = np.zeros_like(t)
    if p_wave:
        y += 0.15 * np.exp(-0.5 * ((t - centre + 0.18) / 0.025) ** 2)
    w = 0.035 if wide else 0.012
    y += -0.1 * np.exp(-0.5 * ((t - centre + 0.03) / 0.01) ** 2)
    y += (1.3 if wide else 1.0) * np.exp(-0.5 * ((t - centre) / w) ** 2)
    y += -0.2 * np.exp(-0.5 * ((t - centre - 0.04) / 0.012) ** 2)
    y += (-0.35 if wide else 0.3) * np.exp(-0.5 * ((t - centre - 0.3) / 0.05) ** 2)
    return y


def zscore(x):
    present = ~np.isnan(x)
    v = x[present].astype(np.float64)
    mean = v.mean() if v.size else 0.0
    std = max(v.std() if v.size else 0.0, 1e-3)
    out = np.zeros_like(x, dtype=np.float32)
    out[present] = ((x[present] - mean) / std).astype(np.float32)
    return out


def one_window(rng, rhythm, bpm, noise_mv, missing):
    t = np.arange(N) / FS
    rr_mean = 60.0 / bpm
    beats = []
    time = -rng.uniform(0, rr_mean)
    k = 0
    while time < 10.5:
        beats.append((time, rhythm == 2 and k % 4 == 3))
        if rhythm == 1:
            time += rr_mean * rng.uniform(0.6, 1.4)
        elif rhythm == 2 and k % 4 == 2:
            time += rr_mean * 0.65
        else:
            time += rr_mean * (1 + 0.03 * rng.standard_normal())
        k += 1
    y = np.zeros(N)
    for c, wide in beats:
        y += beat_wave(t, c, wide=wide, p_wave=(rhythm != 1 and not wide))
    if rhythm == 1:
        y += 0.05 * np.sin(2 * np.pi * rng.uniform(4, 8) * t + rng.uniform(0, 6.28))
    y += noise_mv * rng.standard_normal(N)
    y += rng.uniform(0, 0.3) * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t + rng.uniform(0, 6.28))
    if missing > 0:
        start = rng.integers(0, N - int(missing * N))
        y[start:start + int(missing * N)] = np.nan
    in_window = [c for c, _ in beats if 0 <= c < 10]
    hr = 60.0 / np.mean(np.diff(in_window)) if len(in_window) >= 2 else np.nan
    return zscore(y), hr


def make(rng, n_devices, per_device, source, prefix, labelled=True, lead_count=1):
    rows = {k: [] for k in ["windows", "missing_fraction", "hr_bpm", "rhythm", "quality", "noise_rms_mv",
                            "rhythm_fraction", "device", "window_start_s", "source"]}
    names = []
    for d in range(n_devices):
        for lead in range(lead_count):
            names.append(f"{prefix}-{d:05d}" + (f"/lead{lead}" if lead_count > 1 else ""))
            dev = len(names) - 1
            base_rhythm = rng.choice(3, p=[0.6, 0.25, 0.15])
            for w in range(per_device):
                rhythm = base_rhythm
                bpm = {0: rng.uniform(45, 160), 1: rng.uniform(70, 150), 2: rng.uniform(55, 100)}[rhythm]
                noise = rng.choice([rng.uniform(0.01, 0.03), rng.uniform(0.04, 0.12), rng.uniform(0.15, 0.35)],
                                   p=[0.5, 0.35, 0.15])
                missing = rng.choice([0.0, rng.uniform(0.05, 0.4)], p=[0.9, 0.1])
                x, hr = one_window(rng, rhythm, bpm, noise, missing)
                label = 3 if noise >= 0.25 else rhythm
                rows["windows"].append(x)
                rows["missing_fraction"].append(missing)
                rows["hr_bpm"].append(hr if labelled else np.nan)
                rows["rhythm"].append(label if labelled else -1)
                rows["quality"].append((1 if noise >= 0.15 or missing > 0.3 else 0) if labelled else -1)
                rows["noise_rms_mv"].append(noise if labelled else np.nan)
                rows["rhythm_fraction"].append(1.0 if labelled else np.nan)
                rows["device"].append(dev)
                rows["window_start_s"].append(5.0 * w)
                rows["source"].append(source)
    return {
        "windows": np.stack(rows["windows"]).astype(np.float32),
        "missing_fraction": np.array(rows["missing_fraction"], dtype=np.float32),
        "hr_bpm": np.array(rows["hr_bpm"], dtype=np.float32),
        "rhythm": np.array(rows["rhythm"], dtype=np.int8),
        "quality": np.array(rows["quality"], dtype=np.int8),
        "noise_rms_mv": np.array(rows["noise_rms_mv"], dtype=np.float32),
        "rhythm_fraction": np.array(rows["rhythm_fraction"], dtype=np.float32),
        "device": np.array(rows["device"], dtype=np.int32),
        "window_start_s": np.array(rows["window_start_s"], dtype=np.float32),
        "source": np.array(rows["source"], dtype=np.int8),
        "device_names": np.array(names, dtype="<U64"),
        "source_names": SOURCES,
    }


def concat(parts):
    out = {}
    offset = 0
    for p in parts:
        p = dict(p)
        p["device"] = p["device"] + offset
        offset += len(p["device_names"])
        for k, v in p.items():
            if k == "source_names":
                out[k] = v
            else:
                out.setdefault(k, []).append(v)
    return {k: (np.concatenate(v) if isinstance(v, list) else v) for k, v in out.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the number of devices")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    s = args.scale
    sim_train = make(rng, max(4, int(40 * s)), 24, 0, "sim")
    sim_test = make(rng, max(2, int(10 * s)), 24, 0, "simtest")
    mitdb = make(rng, 1, 60, 1, "mitdb/100", lead_count=2)
    cinc = make(rng, max(10, int(40 * s)), 4, 2, "cinc2017/A")
    ptb = make(rng, 1, 6, 3, "ptbdb/s0010_re", labelled=False, lead_count=3)
    cinc_all = make(rng, max(20, int(80 * s)), 4, 2, "cinc2017/A")
    real_all = concat([mitdb, cinc, ptb])
    for name, d in [("sim-train", sim_train), ("sim-test", sim_test), ("real-all", real_all),
                    ("mitdb100", mitdb), ("cinc2017", cinc), ("cinc2017-all", cinc_all)]:
        np.savez(args.out / f"{name}.npz", **d)
        print(name, d["windows"].shape)


if __name__ == "__main__":
    main()
