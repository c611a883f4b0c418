"""Training-engine speed: nnstudio's NumPy engine against PyTorch and scikit-learn.

Usage::

    python benchmarks/bench_engine.py            # full run, a few minutes
    python benchmarks/bench_engine.py --quick    # a rough run in well under a minute

Every figure is optimizer steps per second (forward, backward and update on one batch,
mini-batch gathering included), measured in one process. The engines take turns in short
blocks with idle gaps between them (OpenBLAS threads keep spinning ~0.1 s after a call
and would slow whoever runs next), the order rotates every round, and each engine's
figure is the median over its blocks. The script ends with the ratio lines the speed
targets are checked against (see benchmarks/README.md)::

    vs_torch A-full: <our steps/s over PyTorch float32 eager's>
    ...
    masked_over_dense: <time per step of the half-connected 2-8-8-1 over its dense twin>

PyTorch (``torch==2.13.0``, CPU wheel) and scikit-learn are optional: without them the
script measures what it can and prints ``n/a``.

``OPENBLAS_CORETYPE``: if the environment forces an OpenBLAS kernel (some machines here set
``Haswell``), the script restarts itself once without it before NumPy is loaded, and says
so: a forced older kernel makes every NumPy matrix product up to 2x slower on a CPU with
AVX-512, while PyTorch (MKL) is unaffected. ``--keep-blas-env`` measures as the
environment is.
"""

from __future__ import annotations

import os
import sys


def _early_threads(argv) -> int | None:
    """``--threads N``: pin OpenBLAS, OpenMP and MKL before NumPy or PyTorch load."""
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return None


_THREADS = _early_threads(sys.argv[1:]) if __name__ == "__main__" else None
if _THREADS:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = str(_THREADS)

_REEXEC_MARK = "NNSTUDIO_BENCH_DROPPED_CORETYPE"
if (__name__ == "__main__" and os.environ.get("OPENBLAS_CORETYPE")
        and "--keep-blas-env" not in sys.argv[1:] and _REEXEC_MARK not in os.environ):
    _env = dict(os.environ)
    _env[_REEXEC_MARK] = _env.pop("OPENBLAS_CORETYPE")
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], _env)

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from nnstudio.core.graph import Network, layered  # noqa: E402
from nnstudio.core.settings import TrainingSettings  # noqa: E402
from nnstudio.core.training import Trainer, initialize  # noqa: E402

try:
    import torch
except ImportError:                     # pragma: no cover - optional reference
    torch = None
try:
    from sklearn.neural_network import MLPClassifier
except ImportError:                     # pragma: no cover - optional reference
    MLPClassifier = None

LR = 0.01

# name: layer sizes, hidden activation, output, samples, batch (None = all), our precision
WORKLOADS = {
    "A-full": ([2, 8, 8, 1], "tanh", "sigmoid", 500, None, "float64"),
    "A-b10": ([2, 8, 8, 1], "tanh", "sigmoid", 500, 10, "float64"),
    "B-full": ([4, 10, 3], "tanh", "softmax", 150, None, "float64"),
    "C-b32": ([64, 32, 10], "relu", "softmax", 1437, 32, "float64"),
    "D-b128": ([784, 128, 10], "relu", "softmax", 10_000, 128, "float32"),
    "E-b256": ([784, 1024, 1024, 10], "relu", "softmax", 10_000, 256, "float32"),
}


def make_data(sizes, output, m, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, sizes[0]))
    K = sizes[-1]
    if output == "sigmoid":
        labels = (X[:, 0] * X[:, 1] > 0).astype(int)
        Y = labels[:, None].astype(float)
    else:
        labels = rng.integers(0, K, m)
        Y = np.eye(K)[labels]
    return X, Y, labels


# ------------------------------------------------------------------ runners
class Ours:
    def __init__(self, net: Network, X, Y, batch, precision):
        settings = TrainingSettings(optimizer="gd" if batch is None else "sgd", batch_size=batch,
                                    learning_rate=LR, precision=precision, seed=0)
        self.trainer = Trainer(net, settings, X, Y)
        self.step = self.trainer.step_batch

    def run(self, n):
        step = self.step
        for _ in range(n):
            step()


class Torch:
    """``nn.Sequential`` + ``torch.optim.SGD`` in float32, the idiomatic way (logit losses)."""

    def __init__(self, sizes, hidden, output, X, labels, batch):
        torch.manual_seed(0)
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(torch.nn.Tanh() if hidden == "tanh" else torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.X = torch.from_numpy(X.astype(np.float32))
        if output == "sigmoid":
            self.loss = torch.nn.BCEWithLogitsLoss()
            self.Y = torch.from_numpy(labels.astype(np.float32)[:, None])
        else:
            self.loss = torch.nn.CrossEntropyLoss()
            self.Y = torch.from_numpy(labels.astype(np.int64))
        self.m = len(X)
        self.batch = batch
        self.perm, self.pos = None, 0

    def run(self, n):
        model, opt, loss, X, Y, b = self.model, self.opt, self.loss, self.X, self.Y, self.batch
        for _ in range(n):
            if b is None:
                xb, yb = X, Y
            else:
                if self.perm is None or self.pos >= self.m:
                    self.perm, self.pos = torch.randperm(self.m), 0
                idx = self.perm[self.pos:self.pos + b]
                self.pos += b
                xb, yb = X[idx], Y[idx]
            opt.zero_grad()
            loss(model(xb), yb).backward()
            opt.step()


class Sklearn:
    """``MLPClassifier.partial_fit`` (float64, plain SGD): one call = one pass over the rows given."""

    def __init__(self, sizes, hidden, X, labels, batch):
        b = len(X) if batch is None else batch
        self.clf = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), activation=hidden, solver="sgd",
                                 learning_rate_init=LR, momentum=0.0, nesterovs_momentum=False, alpha=0.0,
                                 batch_size=b, shuffle=False, random_state=0)
        self.X, self.y, self.b = X, labels, b
        self.classes = np.unique(labels)
        self.clf.partial_fit(X[:b], labels[:b], classes=self.classes)

    def run(self, n):
        rows = min(len(self.X), n * self.b)
        done = 0
        while done < n:
            k = min(n - done, rows // self.b)
            self.clf.partial_fit(self.X[:k * self.b], self.y[:k * self.b])
            done += k


# ------------------------------------------------------------------ timing
def _cpu_busy_seconds() -> float | None:
    """CPU seconds all processes have used (Linux ``/proc/stat``), or None elsewhere."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return None
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


#: A block during which other processes used more than this share of one core is redone.
OTHERS_LIMIT = 0.10
RETRIES = 6
#: Redoing blocks stops after this many seconds in all (the run must end in ~5 minutes).
RETRY_BUDGET = 90.0
STATS = {"blocks": 0, "redone": 0, "kept_busy": 0, "retry_seconds": 0.0}


def _timed_block(runner, n: int) -> float:
    """Steps/s of one block, redone (a few times at most) if other processes were busy."""
    for attempt in range(RETRIES + 1):
        busy0, own0 = _cpu_busy_seconds(), time.process_time()
        t0 = time.perf_counter()
        runner.run(n)
        wall = time.perf_counter() - t0
        busy1, own1 = _cpu_busy_seconds(), time.process_time()
        STATS["blocks"] += 1
        if busy0 is None:
            return n / wall
        others = (busy1 - busy0) - (own1 - own0)
        if others <= OTHERS_LIMIT * wall + 0.02:
            return n / wall
        if attempt == RETRIES or STATS["retry_seconds"] > RETRY_BUDGET:
            STATS["kept_busy"] += 1
            return n / wall
        STATS["redone"] += 1
        STATS["retry_seconds"] += wall + 0.5
        time.sleep(0.5)
    raise AssertionError("unreachable")


def measure(runners: dict, rounds: int, block: float, gap: float) -> dict:
    """Median steps/s of each runner, in interleaved blocks of about ``block`` seconds."""
    counts = {}
    for name, r in runners.items():          # warm up and size the blocks
        r.run(2)
        n, t = 1, 0.0
        while t < block / 4:
            t0 = time.perf_counter()
            r.run(n)
            t = time.perf_counter() - t0
            if t < block / 4:
                n *= 2
        counts[name] = max(1, int(n * block / max(t, 1e-9)))
    rates = {name: [] for name in runners}
    names = list(runners)
    for i in range(rounds):
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            gc.collect()
            time.sleep(gap)
            rates[name].append(_timed_block(runners[name], counts[name]))
    return {name: statistics.median(v) for name, v in rates.items()}


def half_connected(sizes, hidden, output, seed=0) -> Network:
    """``layered(sizes)`` with half its connections removed at random, keeping at least one
    input and one output per hidden neuron and one input per output neuron."""
    net = layered(sizes, hidden=hidden, output=output)
    rng = np.random.default_rng(seed)
    conns = [c.key for c in net.connections()]
    rng.shuffle(conns)
    target = len(conns) // 2
    removed = 0
    for s, t in conns:
        if removed >= target:
            break
        src, dst = net.neuron(s), net.neuron(t)
        if len(net.incoming(t)) <= 1 or (src.role == "hidden" and len(net.outgoing(s)) <= 1):
            continue
        net.remove_connection(s, t)
        removed += 1
    return net


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info

        libs = [f"{d['internal_api']} {d.get('version')} {d.get('architecture')} x{d['num_threads']}"
                for d in threadpool_info()]
        return "; ".join(libs)
    except Exception:                      # noqa: BLE001 - informational only
        return "threadpoolctl not installed"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short blocks and few rounds (rough figures)")
    ap.add_argument("--rounds", type=int, default=None, help="blocks per engine and workload")
    ap.add_argument("--only", nargs="*", default=None, help="workloads to run (default: all, and 'masked')")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for every library (default: theirs, one per core); "
                         "--threads 1 gives usable figures on a machine that is busy with other work")
    ap.add_argument("--keep-blas-env", action="store_true",
                    help="keep OPENBLAS_CORETYPE if the environment sets it (default: drop it)")
    args = ap.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 7)
    block = 0.06 if args.quick else 0.25
    gap = 0.12

    print(f"python {platform.python_version()}, numpy {np.__version__}, cores {os.cpu_count()}")
    print(f"BLAS: {blas_info()}")
    if os.environ.get(_REEXEC_MARK):
        print(f"note: the environment sets OPENBLAS_CORETYPE={os.environ[_REEXEC_MARK]}; measured with it unset "
              "(OpenBLAS picks its kernel for this CPU). --keep-blas-env measures with it.")
    elif os.environ.get("OPENBLAS_CORETYPE"):
        print(f"note: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is forced (--keep-blas-env): "
              "NumPy's matrix products may be up to 2x slower than with OpenBLAS's own choice")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"load average {load:.2f}" + ("  (other work is running: figures will be noisy; "
                                        "--threads 1 suffers least)" if load > 0.7 else ""))
    if torch is not None:
        if args.threads:
            torch.set_num_threads(args.threads)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    else:
        print("torch not installed: vs_torch figures are n/a (pip install torch==2.13.0)")
    if MLPClassifier is None:
        print("scikit-learn not installed: vs_sklearn figures are n/a")
    print(f"rounds {rounds}, blocks ~{block}s, gaps {gap}s\n")

    vs_torch, vs_sklearn = {}, {}
    print(f"{'workload':<10}{'ours steps/s':>14}{'torch f32':>12}{'sklearn':>10}{'vs torch':>10}{'vs sklearn':>11}")
    for name, (sizes, hidden, output, m, batch, precision) in WORKLOADS.items():
        if args.only and name not in args.only:
            continue
        X, Y, labels = make_data(sizes, output, m)
        net = layered(sizes, hidden=hidden, output=output)
        initialize(net, "glorot", seed=0)
        runners = {"ours": Ours(net, X, Y, batch, precision)}
        del net
        if torch is not None:
            runners["torch"] = Torch(sizes, hidden, output, X, labels, batch)
        if MLPClassifier is not None:
            runners["sklearn"] = Sklearn(sizes, hidden, X, labels, batch)
        big = sizes[1] >= 1000
        rates = measure(runners, max(3, rounds - 2) if big else rounds, block * (2 if big else 1), gap)
        ours = rates["ours"]
        t = rates.get("torch")
        s = rates.get("sklearn")
        vs_torch[name] = ours / t if t else None
        vs_sklearn[name] = ours / s if s else None
        fmt = lambda v, spec: format(v, spec) if v is not None else "n/a"  # noqa: E731
        print(f"{name:<10}{ours:>14.0f}{fmt(t, '>12.0f'):>12}{fmt(s, '>10.0f'):>10}"
              f"{fmt(vs_torch[name], '>10.2f'):>10}{fmt(vs_sklearn[name], '>11.2f'):>11}", flush=True)
        runners.clear()
        gc.collect()

    ratio = None
    if not args.only or "masked" in args.only:
        sizes, hidden, output = [2, 8, 8, 1], "tanh", "sigmoid"
        X, Y, _ = make_data(sizes, output, 500)
        dense = layered(sizes, hidden=hidden, output=output)
        half = half_connected(sizes, hidden, output)
        initialize(dense, "glorot", seed=0)
        initialize(half, "glorot", seed=0)
        ratios = []
        for batch in (None, 10):
            rates = measure({"dense": Ours(dense, X, Y, batch, "float64"),
                             "masked": Ours(half, X, Y, batch, "float64")}, 2 * rounds + 1, block / 2, gap / 2)
            ratios.append(rates["dense"] / rates["masked"])
            print(f"masked 2-8-8-1 ({len(half.connections())} of {len(dense.connections())} connections), "
                  f"batch {batch or 'all'}: dense {rates['dense']:.0f} steps/s, masked {rates['masked']:.0f} "
                  f"steps/s, time ratio {ratios[-1]:.3f}")
        ratio = max(ratios)

    print(f"\nblocks timed {STATS['blocks']}; redone because other processes used the CPU: {STATS['redone']}"
          + (f"; kept although still busy: {STATS['kept_busy']} (figures less reliable)" if STATS["kept_busy"] else ""))
    print()
    for name, v in vs_sklearn.items():
        print(f"vs_sklearn {name}: {'n/a' if v is None else f'{v:.2f}'}")
    for name in WORKLOADS:
        if name in vs_torch:
            v = vs_torch[name]
            print(f"vs_torch {name}: {'n/a' if v is None else f'{v:.2f}'}")
    if ratio is not None:
        print(f"masked_over_dense: {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
