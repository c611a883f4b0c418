"""Write nnstudio's sample CSV files, deterministically.

    python sample_data/make_samples.py            # rewrites the CSVs next to this script
    python sample_data/make_samples.py OUT_DIR    # writes them into OUT_DIR instead

Every file is generated from its own fixed seed with NumPy only, and numbers are written
with a fixed format (``%.6g``), so rerunning rewrites the files byte for byte. The target
is always the last column. ``iris.csv`` is real data committed as is, not generated here.
See README.md beside this script for what each file is for.
"""

from __future__ import annotations

import os
import sys
from typing import Callable

import numpy as np

Rows = list[list[object]]


def _fmt(value: object) -> str:
    if isinstance(value, (str, int, np.integer)):
        return str(value)
    text = "%.6g" % float(value)
    return "0" if text == "-0" else text


def to_csv(header: list[str], rows: Rows) -> str:
    """CSV text with ``\\n`` line endings; floats as ``%.6g``, ints and strings as is."""
    lines = [",".join(header)]
    lines += [",".join(_fmt(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


# --- regression --------------------------------------------------------------------------

def linear_1var() -> tuple[list[str], Rows]:
    """y = 3x + 4 + noise, 50 points, x in [0, 10] (course section 1, one variable)."""
    rng = np.random.default_rng(101)
    x = np.sort(rng.uniform(0.0, 10.0, 50))
    y = 3.0 * x + 4.0 + rng.normal(0.0, 1.5, x.size)
    return ["x", "y"], [[a, b] for a, b in zip(x, y)]


def linear_2var() -> tuple[list[str], Rows]:
    """y = 2 x1 - 3 x2 + 5 + noise, 100 points (course section 1, two variables)."""
    rng = np.random.default_rng(102)
    x1 = rng.uniform(0.0, 10.0, 100)
    x2 = rng.uniform(0.0, 10.0, 100)
    y = 2.0 * x1 - 3.0 * x2 + 5.0 + rng.normal(0.0, 1.0, 100)
    return ["x1", "x2", "y"], [list(r) for r in zip(x1, x2, y)]


def linear_multi() -> tuple[list[str], Rows]:
    """House prices from features on very different scales, 200 rows (course
    section 1: gradient descent needs feature scaling here).

    price_k = 40 + 2.2 size_m2 + 12 rooms - 0.9 age_years - 3.5 distance_km + noise,
    in thousands.
    """
    rng = np.random.default_rng(103)
    m = 200
    size = np.round(rng.uniform(50.0, 250.0, m), 1)
    rooms = np.clip(np.round(size / 45.0 + rng.normal(0.0, 0.7, m)), 1, 6).astype(int)
    age = rng.integers(0, 101, m)
    distance = np.round(rng.uniform(0.1, 30.0, m), 2)
    price = (40.0 + 2.2 * size + 12.0 * rooms - 0.9 * age - 3.5 * distance
             + rng.normal(0.0, 15.0, m))
    price = np.round(price, 1)
    rows = [[float(s), int(r), int(a), float(d), float(p)]
            for s, r, a, d, p in zip(size, rooms, age, distance, price)]
    return ["size_m2", "rooms", "age_years", "distance_km", "price_k"], rows


def polynomial() -> tuple[list[str], Rows]:
    """A noisy cubic, 30 points: y = x^3 - x^2 - 2x + 1 + noise, x in [-2.5, 2.5]
    (course section 2: a high polynomial degree overfits so few points)."""
    rng = np.random.default_rng(104)
    x = np.sort(rng.uniform(-2.5, 2.5, 30))
    y = x**3 - x**2 - 2.0 * x + 1.0 + rng.normal(0.0, 1.5, x.size)
    return ["x", "y"], [[a, b] for a, b in zip(x, y)]


# --- classification ----------------------------------------------------------------------

def linear_classes() -> tuple[list[str], Rows]:
    """Two classes separated by the line x1 + 2 x2 = 1 with a margin, 200 points
    (course section 3: logistic regression)."""
    rng = np.random.default_rng(105)
    w, b = np.array([1.0, 2.0]), -1.0
    points: list[np.ndarray] = []
    while len(points) < 200:
        p = rng.uniform(-4.0, 4.0, 2)
        d = (w @ p + b) / np.linalg.norm(w)
        if abs(d) >= 0.4:
            points.append(p)
    P = np.array(points)
    label = ((P @ w + b) > 0).astype(int)
    return ["x1", "x2", "label"], [[p[0], p[1], int(c)] for p, c in zip(P, label)]


XOR_CORNERS = [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]


def xor4() -> tuple[list[str], Rows]:
    """The four exact XOR points (course section 5: needs a hidden layer)."""
    return ["x1", "x2", "label"], [list(c) for c in XOR_CORNERS]


def xor() -> tuple[list[str], Rows]:
    """Noisy copies of the XOR corners, 50 per corner, shuffled: 200 points."""
    rng = np.random.default_rng(106)
    rows = []
    for x1, x2, label in XOR_CORNERS:
        pts = np.array([x1, x2], dtype=float) + rng.normal(0.0, 0.12, (50, 2))
        rows += [[p[0], p[1], label] for p in pts]
    order = rng.permutation(len(rows))
    return ["x1", "x2", "label"], [rows[i] for i in order]


def circles() -> tuple[list[str], Rows]:
    """Two concentric rings, radius 1 (label 0) and 2.5 (label 1), 150 points each."""
    rng = np.random.default_rng(107)
    rows = []
    for label, radius in ((0, 1.0), (1, 2.5)):
        t = rng.uniform(0.0, 2.0 * np.pi, 150)
        r = radius + rng.normal(0.0, 0.2, 150)
        rows += [[a, b, label] for a, b in zip(r * np.cos(t), r * np.sin(t))]
    order = rng.permutation(len(rows))
    return ["x1", "x2", "label"], [rows[i] for i in order]


def spiral() -> tuple[list[str], Rows]:
    """Three interleaved spiral arms, 100 points each, labels 0, 1, 2."""
    rng = np.random.default_rng(108)
    n, k = 100, 3
    rows = []
    for label in range(k):
        r = np.linspace(0.05, 1.0, n)
        t = np.linspace(label * 4.0, (label + 1) * 4.0, n) + rng.normal(0.0, 0.2, n)
        rows += [[a, b, label] for a, b in zip(r * np.sin(t), r * np.cos(t))]
    order = rng.permutation(len(rows))
    return ["x1", "x2", "label"], [rows[i] for i in order]


def blobs() -> tuple[list[str], Rows]:
    """Four Gaussian blobs with text labels, 75 points each (course section 4: softmax
    and one-versus-all with string classes)."""
    rng = np.random.default_rng(109)
    centers = {"alpha": (-2.0, 2.0), "beta": (2.0, 2.0), "gamma": (2.0, -2.0),
               "delta": (-2.0, -2.0)}
    rows = []
    for label, c in centers.items():
        pts = np.array(c) + rng.normal(0.0, 0.9, (75, 2))
        rows += [[p[0], p[1], label] for p in pts]
    order = rng.permutation(len(rows))
    return ["x1", "x2", "label"], [rows[i] for i in order]


SAMPLES: dict[str, Callable[[], tuple[list[str], Rows]]] = {
    "linear_1var.csv": linear_1var,
    "linear_2var.csv": linear_2var,
    "linear_multi.csv": linear_multi,
    "polynomial.csv": polynomial,
    "linear_classes.csv": linear_classes,
    "xor.csv": xor,
    "xor4.csv": xor4,
    "circles.csv": circles,
    "spiral.csv": spiral,
    "blobs.csv": blobs,
}


def generate(out_dir: str, verbose: bool = False) -> list[str]:
    """Write every sample CSV into ``out_dir``; return the paths written."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for name, make in SAMPLES.items():
        header, rows = make()
        path = os.path.join(out_dir, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(to_csv(header, rows))
        written.append(path)
        if verbose:
            print(f"wrote {path} ({len(rows)} rows)")
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_dir = argv[0] if argv else os.path.dirname(os.path.abspath(__file__))
    generate(out_dir, verbose=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
