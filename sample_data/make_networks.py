"""Write nnstudio's example network files (``.nns``), one per course topic, deterministically.

    python sample_data/make_networks.py            # rewrites the .nns files next to this script
                                                   # and the app's built-in sample
    python sample_data/make_networks.py OUT_DIR    # writes the example networks into OUT_DIR

Each network is bound to its CSV beside it (a relative path), with its inputs bound to
the columns (or derived features) it reads, initialized from a fixed seed, untrained, and
with training settings that give a good result as they are::

    nnstudio train sample_data/xor.nns -o /tmp/xor-trained.nns

The built-in sample the app opens (``nnstudio/samples/xor.nns`` with a copy of
``xor.csv``) is written too, unless an OUT_DIR is given. Rerunning rewrites every file
byte for byte (the test suite checks this). See README.md beside this script.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))     # run from a checkout without installing

from nnstudio.core.fileformat import save_project  # noqa: E402
from nnstudio.core.graph import layered  # noqa: E402
from nnstudio.core.settings import Project, TrainingSettings  # noqa: E402
from nnstudio.core.training import initialize  # noqa: E402
from nnstudio.core.workflow import apply_binding, prepare_training  # noqa: E402

#: Where the app's built-in sample lives (shipped inside the package).
BUILTIN_DIR = os.path.join(os.path.dirname(HERE), "nnstudio", "samples")


@dataclass(frozen=True)
class Example:
    """One example network: ``layers`` sizes with ``hidden``/``output`` activations, bound to
    ``csv``; ``poly`` makes the inputs the powers x, x^2, ..., x^poly of the one feature."""

    name: str
    csv: str
    layers: tuple[int, ...]
    output: str
    settings: dict
    notes: str
    hidden: str = "tanh"
    poly: int | None = None
    init: str = "glorot"
    seed: int = 0
    extra: dict = field(default_factory=dict)


EXAMPLES = [
    Example("linear_1var", "linear_1var.csv", (1, 1), "linear",
            dict(optimizer="gd", learning_rate=0.05, epochs=2000),
            "Course section 1: linear regression on one variable, y = 3x + 4 + noise. "
            "Gradient descent on the raw x; 'nnstudio solve' gives the normal-equation answer "
            "it converges to."),
    Example("linear_2var", "linear_2var.csv", (2, 1), "linear",
            dict(optimizer="gd", learning_rate=0.02, epochs=3000),
            "Course section 1: linear regression on two variables, y = 2 x1 - 3 x2 + 5 + noise."),
    Example("linear_multi", "linear_multi.csv", (4, 1), "linear",
            dict(optimizer="gd", learning_rate=0.1, epochs=500, standardize=True),
            "Course section 1: many variables on very different scales (house prices). "
            "Standardization is on: train with --no-standardize to see gradient descent fail "
            "with any one learning rate."),
    Example("polynomial", "polynomial.csv", (9, 1), "linear",
            dict(optimizer="adam", learning_rate=0.05, epochs=10000, split=(0.6, 0.2, 0.2),
                 standardize=True),
            "Course section 2: polynomial regression of degree 9 (inputs x, x^2, ..., x^9) on "
            "18 training points: it overfits, the validation cost rises while the training "
            "cost falls. Compare polynomial_l2.nns.", poly=9),
    Example("polynomial_l2", "polynomial.csv", (9, 1), "linear",
            dict(optimizer="adam", learning_rate=0.05, epochs=10000, split=(0.6, 0.2, 0.2),
                 standardize=True, l2=0.1),
            "Course section 2: the degree-9 polynomial with L2 regularization (lambda 0.1): "
            "a higher training cost and a lower validation cost than polynomial.nns.", poly=9),
    Example("logistic", "linear_classes.csv", (2, 1), "sigmoid",
            dict(optimizer="gd", learning_rate=0.5, epochs=1000, standardize=True),
            "Course section 3: logistic regression, one sigmoid output with binary "
            "cross-entropy, on two linearly separable classes."),
    Example("xor", "xor.csv", (2, 4, 1), "sigmoid",
            dict(optimizer="adam", learning_rate=0.05, epochs=300),
            "Course section 5: XOR. No straight line separates the classes; one hidden layer "
            "of 4 tanh neurons does."),
    Example("circles", "circles.csv", (2, 8, 1), "sigmoid",
            dict(optimizer="adam", learning_rate=0.05, epochs=300, standardize=True),
            "Course section 5: two concentric rings, a sigmoid output after a hidden layer "
            "of 8 tanh neurons."),
    Example("spiral", "spiral.csv", (2, 32, 32, 3), "softmax",
            dict(optimizer="adam", learning_rate=0.01, epochs=500, standardize=True),
            "Course sections 4-5: three interleaved spiral arms, softmax with two hidden "
            "layers of 32 tanh neurons."),
    Example("blobs_softmax", "blobs.csv", (2, 4), "softmax",
            dict(optimizer="gd", learning_rate=0.5, epochs=500, standardize=True),
            "Course section 4: softmax regression (no hidden layer) on four blobs; the "
            "outputs are class probabilities that add up to 1."),
    Example("blobs_ova", "blobs.csv", (2, 4), "ova",
            dict(optimizer="gd", learning_rate=0.5, epochs=500, standardize=True),
            "Course section 4: one-versus-all on four blobs, one sigmoid classifier per "
            "class; the prediction is the class with the highest score."),
    Example("iris", "iris.csv", (4, 10, 3), "softmax",
            dict(optimizer="adam", learning_rate=0.01, epochs=300, split=(0.6, 0.2, 0.2),
                 standardize=True),
            "Course sections 4-5: Fisher's Iris, 4 measurements -> 10 tanh -> 3 softmax "
            "outputs; a 60/20/20 split, standardized on the training rows."),
]


def build(example: Example, csv_path: str) -> Project:
    """The untrained, initialized project of ``example`` bound to ``csv_path``."""
    net = layered(example.layers, hidden=example.hidden, output=example.output)
    settings = TrainingSettings(init=example.init, seed=example.seed, **example.settings)
    initialize(net, example.init, example.seed)
    project = Project(network=net, settings=settings, notes=example.notes)
    apply_binding(project, prepare_training(project, csv_path, poly=example.poly))
    return project


def write(example: Example, data_dir: str, out_dir: str) -> str:
    path = os.path.join(out_dir, example.name + ".nns")
    save_project(build(example, os.path.join(data_dir, example.csv)), path)
    return path


def write_builtin(data_dir: str = HERE, out_dir: str = BUILTIN_DIR) -> list[str]:
    """The app's built-in sample: xor.nns beside its own copy of xor.csv."""
    os.makedirs(out_dir, exist_ok=True)
    csv_copy = os.path.join(out_dir, "xor.csv")
    shutil.copyfile(os.path.join(data_dir, "xor.csv"), csv_copy)
    xor = next(e for e in EXAMPLES if e.name == "xor")
    return [csv_copy, write(xor, out_dir, out_dir)]


def generate(out_dir: str = HERE, verbose: bool = False, builtin: bool = True) -> list[str]:
    """Write every example network into ``out_dir`` (bound to the CSVs in this folder,
    which are copied there if it is another folder); return the paths written."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for example in EXAMPLES:
        csv = os.path.join(out_dir, example.csv)
        if os.path.abspath(out_dir) != HERE and not os.path.exists(csv):
            shutil.copyfile(os.path.join(HERE, example.csv), csv)
        written.append(write(example, out_dir, out_dir))
    if builtin:
        written += write_builtin()
    if verbose:
        for path in written:
            print(f"wrote {path}")
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        generate(argv[0], verbose=True, builtin=False)
    else:
        generate(HERE, verbose=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
