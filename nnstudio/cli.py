"""The headless command line: ``nnstudio COMMAND ...`` for scripting, teaching and grading.

Commands (``nnstudio COMMAND -h`` for each one's options)::

    new OUT --layers 4,10,3 [--hidden tanh] [--output linear|sigmoid|softmax|ova] [--init ..] [--seed N]
    train NET [--data CSV] [--target COL] [--epochs N] [--lr X] [--optimizer gd|sgd|momentum|adam]
              [--batch-size N|all] [--l1 X] [--l2 X] [--split TRAIN,VAL,TEST] [--standardize]
              [--poly D] [--seed N] [--init glorot|he|uniform|zeros] [--reset-state]
              (-o OUT | --in-place)
    eval NET [--data CSV] [--part train|val|test|all] [--json]
    predict NET [--data CSV] -o OUT.csv
    solve NET [--data CSV] [--l2 X] (-o OUT | --in-place)
    gradcheck NET [--data CSV] [--threshold 1e-6] [--samples N]
    check NET
    info NET

Settings stored in the network file are the defaults; options given here override them
(and the overrides are saved with the trained network). ``--data`` may be left out when
the file is bound to a dataset. ``train`` and ``solve`` never overwrite their input unless
``-o`` names it or ``--in-place`` is given; no command ever writes over its data file, and
``predict`` never over the network it reads.

``train`` initializes a network that has no weights yet (all 0, no training state: drawn
in the app) from its ``init`` setting first, as the app does
(``workflow.initialize_if_needed``); it refuses to continue a training state on inputs
prepared differently (standardization, features, target) unless ``--reset-state``.
``eval --part test`` scores the test rows of the stored split, once, at the end.

Exit codes: 0 success; 1 a check failed (``check`` found errors, ``gradcheck`` above its
threshold); 2 bad input or usage (a bad network file or CSV, an impossible option,
training that diverged, numbers too large to compute, an unknown command), with a one-line message ``nnstudio COMMAND: problem`` on stderr
and nothing written; 70 an internal error (a bug: one line asking to report it);
130 interrupted with Ctrl+C (nothing written).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import re
import secrets
import sys
import time
from typing import Iterable, Sequence

import numpy as np

from nnstudio import __version__
from nnstudio.core.graph import ACTIVATIONS

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

PROG = "nnstudio"
COMMANDS = ("new", "train", "eval", "predict", "solve", "gradcheck", "check", "info")
#: Sizes beyond these are refused with a clear message rather than left to exhaust the
#: memory or run for days (a neuron or connection is a Python object in the editable graph).
MAX_NEURONS = 100_000
MAX_CONNECTIONS = 2_000_000
MAX_EPOCHS = 10_000_000
#: every activation but softmax, which couples an output group and has no place in a hidden layer
HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "softmax")
OUTPUTS = ("linear", "sigmoid", "softmax", "ova")
LOSS_NAMES = {
    "mse": "mean squared error",
    "bce": "binary cross-entropy",
    "cross_entropy": "softmax cross-entropy",
    "ova": "one-versus-all (a sigmoid per class)",
}


class CliError(Exception):
    """Bad input found by the command line itself; exit code 2 unless ``code`` says."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message (``nnstudio train: ...``), exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see '{self.prog} -h')\n")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _known_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean bad input: reported in one line, exit code 2."""
    from nnstudio.core.data import DataError
    from nnstudio.core.fileformat import FileFormatError
    from nnstudio.core.graph import NetworkError
    from nnstudio.core.settings import SettingsError

    known: list[type[BaseException]] = [CliError, DataError, FileFormatError, NetworkError,
                                        SettingsError, OSError]
    try:
        from nnstudio.core.training import Divergence
        known.append(Divergence)
    except ImportError:  # pragma: no cover - only while the engine is being written
        pass
    try:
        from nnstudio.core.solve import NotSolvable
        known.append(NotSolvable)
    except ImportError:  # pragma: no cover
        pass
    return tuple(known)


# ----------------------------------------------------------------------------- parsing
def _whole(text: str, minimum: int) -> int:
    """A whole number of at least ``minimum``, or an argparse error that says why."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        what = "0 or more" if minimum == 0 else f"at least {minimum}"
        raise argparse.ArgumentTypeError(f"must be {what}, got {value}")
    return value


def _positive_int(text: str) -> int:
    return _whole(text, 1)


def _epochs(text: str) -> int:
    value = _count(text)
    if value > MAX_EPOCHS:
        raise argparse.ArgumentTypeError(
            f"{value:,} is more than the {MAX_EPOCHS:,} epochs one run can train")
    return value


def _count(text: str) -> int:
    return _whole(text, 0)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _positive(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _batch_size(text: str) -> int | None:
    if text.strip().lower() in ("all", "full"):
        return None
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a batch size (a whole number >= 1, or 'all')") from None


def _layers(text: str) -> list[int]:
    parts = [p.strip() for p in re.split(r"[,-]", text)]
    if any(p == "" for p in parts) and len(parts) > 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} has an empty layer size (write it like 4,10,3)")
    try:
        sizes = [int(p) for p in parts if p]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of layer sizes (write it like 4,10,3)") from None
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"{text!r}: give at least two layer sizes >= 1, inputs first and outputs last "
            "(like 4,10,3)")
    neurons = sum(sizes)
    connections = sum(a * b for a, b in zip(sizes, sizes[1:]))
    if neurons > MAX_NEURONS:
        raise argparse.ArgumentTypeError(
            f"{text!r} has {neurons:,} neurons; nnstudio builds at most {MAX_NEURONS:,}")
    if connections > MAX_CONNECTIONS:
        raise argparse.ArgumentTypeError(
            f"{text!r} has {connections:,} connections; nnstudio builds at most "
            f"{MAX_CONNECTIONS:,}")
    return sizes


def _split(text: str) -> tuple[float, float, float]:
    from nnstudio.core.data import DataError, parse_split

    try:
        return parse_split(text)
    except DataError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of every command (``main`` runs it)."""
    parser = _Parser(
        prog=PROG,
        description="Build, train and check neural networks without a screen. "
                    "Run 'nnstudio' with no command to open the app.",
        epilog="exit codes: 0 success, 1 a check failed, 2 bad input or usage, "
               "70 internal error (please report)")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=description)

    def network(p: argparse.ArgumentParser) -> None:
        p.add_argument("net", metavar="NET", help="network file (.nns)")

    def data(p: argparse.ArgumentParser, what: str) -> None:
        p.add_argument("--data", metavar="CSV",
                       help=f"{what} (default: the dataset the network is bound to)")

    def output(p: argparse.ArgumentParser) -> None:
        p.add_argument("-o", "--output", metavar="OUT",
                       help="where to write the resulting network (required unless --in-place)")
        p.add_argument("--in-place", action="store_true",
                       help="overwrite NET itself with the result")

    p = command("new", "create a layered network file",
                "Create a fully connected layered network with initialized weights.")
    p.add_argument("out", metavar="OUT", help="network file to create (.nns)")
    p.add_argument("--layers", type=_layers, required=True, metavar="SIZES",
                   help="layer sizes, inputs first, outputs last: e.g. 4,10,3")
    p.add_argument("--hidden", choices=HIDDEN_ACTIVATIONS, default="tanh",
                   help="activation of the hidden neurons (default: tanh)")
    p.add_argument("--output", choices=OUTPUTS, default="linear",
                   help="outputs: linear (regression, mean squared error), sigmoid (binary "
                        "cross-entropy), softmax (cross-entropy) or ova (one-versus-all); "
                        "default: linear")
    p.add_argument("--init", choices=("glorot", "he", "uniform", "zeros"), default="glorot",
                   help="weight initialization (default: glorot)")
    p.add_argument("--seed", type=_count, default=0, help="random seed (default: 0)")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.set_defaults(run=cmd_new)

    p = command("train", "train a network on a CSV file",
                "Train NET and write the trained network, with its history, settings, data "
                "binding and training state, to OUT. Settings stored in NET are the "
                "defaults; the options below override them. Training a file that holds a "
                "training state continues exactly where it stopped.")
    network(p)
    data(p, "CSV file to train on")
    p.add_argument("--target", metavar="COL", help="target column (default: the bound one, else the last)")
    p.add_argument("--epochs", type=_epochs, help=f"epochs to train (at most {MAX_EPOCHS:,})")
    p.add_argument("--lr", type=_positive, metavar="X", help="learning rate")
    p.add_argument("--optimizer", choices=("gd", "sgd", "momentum", "adam"))
    p.add_argument("--batch-size", type=_batch_size, metavar="N|all", default=argparse.SUPPRESS,
                   help="mini-batch size, or 'all' for the whole training set")
    p.add_argument("--l1", type=_non_negative, metavar="X", help="L1 regularization strength")
    p.add_argument("--l2", type=_non_negative, metavar="X", help="L2 regularization strength")
    p.add_argument("--split", type=_split, metavar="TRAIN,VAL,TEST",
                   help="train/validation/test fractions, e.g. 0.6,0.2,0.2")
    p.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=None,
                   help="standardize the features (fitted on the training split)")
    p.add_argument("--poly", type=_positive_int, metavar="D",
                   help="bind the inputs to polynomial features of degree 1..D")
    p.add_argument("--seed", type=_count, help="random seed for the split and the batches "
                                               "(and the initialization, see --init)")
    p.add_argument("--init", choices=("glorot", "he", "uniform", "zeros"),
                   help="initialization for a network that has no weights yet (every weight "
                        "0 and no training state, as drawn in the app): it is initialized "
                        "with this and the seed before training (default: the file's, glorot)")
    p.add_argument("--reset-state", action="store_true",
                   help="ignore the saved training state (optimizer moments, random generator, "
                        "epoch count): train on from the saved weights, as they are, with a "
                        "fresh optimizer; also needed to change the preprocessing "
                        "(--[no-]standardize, --poly, --target) of a trained network")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    output(p)
    p.set_defaults(run=cmd_train)

    p = command("eval", "evaluate a network on a CSV file",
                "Loss, plus accuracy and confusion matrix (classification) or MSE and R^2 "
                "(regression), on every row of the data (or on one part of the training "
                "split with --part), with the network's stored scaling and classes.")
    network(p)
    data(p, "CSV file to evaluate on")
    p.add_argument("--part", choices=("train", "val", "test", "all"),
                   help="evaluate only the training, validation or test rows of the split "
                        "the network was trained with (its stored split fractions and seed, "
                        "drawn again on its bound data file); default: every row")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: loss, accuracy, confusion_matrix or loss, mse, r2")
    p.set_defaults(run=cmd_eval)

    p = command("predict", "write a network's predictions for a CSV file",
                "Write the rows of the data with the network's predictions added: "
                "predicted_<target>, and p_<class> probability columns for classifiers.")
    network(p)
    data(p, "CSV file to predict (the target column may be absent)")
    p.add_argument("-o", "--output", metavar="OUT.csv", required=True,
                   help="CSV file to write ('-' for standard output)")
    p.set_defaults(run=cmd_predict)

    p = command("solve", "fit a network in closed form (normal equation / ridge)",
                "Set the weights of a network with no hidden layer and linear outputs "
                "(mean squared error) to the exact least-squares solution on the training "
                "split: the normal equation, or ridge with --l2.")
    network(p)
    data(p, "CSV file to fit")
    p.add_argument("--target", metavar="COL", help="target column (default: the bound one, else the last)")
    p.add_argument("--l2", type=_non_negative, metavar="X", help="L2 (ridge) strength")
    p.add_argument("--l1", type=_non_negative, metavar="X",
                   help="L1 strength: has no closed form, so only 0 is accepted (to override "
                        "an L1 setting stored in NET)")
    output(p)
    p.set_defaults(run=cmd_solve)

    p = command("gradcheck", "compare backpropagation with finite differences",
                "Compare every backpropagated gradient with a central finite difference at "
                "the network's current weights; exit 1 if the largest relative error is "
                "above the threshold.")
    network(p)
    data(p, "CSV file whose training rows are used")
    p.add_argument("--threshold", type=_non_negative, default=1e-6, metavar="X",
                   help="largest relative error accepted (default: 1e-6)")
    p.add_argument("--samples", type=_positive_int, metavar="N",
                   help="use only the first N training rows")
    p.set_defaults(run=cmd_gradcheck)

    p = command("check", "list a network's problems",
                "Validate the network; exit 1 if it has errors (warnings do not fail).")
    network(p)
    p.set_defaults(run=cmd_check)

    p = command("info", "summarize a network file",
                "Neurons per role, connections, parameters, levels, loss, data binding, "
                "settings and the last line of training history.")
    network(p)
    p.set_defaults(run=cmd_info)
    return parser


# ----------------------------------------------------------------------------- helpers
def _load(path: str):
    from nnstudio.core.fileformat import load_project

    return load_project(path)


def _save(project, path: str) -> None:
    from nnstudio.core.fileformat import save_project

    save_project(project, path)


def _output_path(args) -> str:
    """Where train/solve write: ``-o OUT``, or NET with ``--in-place``; never NET by default."""
    if args.in_place:
        if args.output is not None and os.path.abspath(args.output) != os.path.abspath(args.net):
            raise CliError("give either -o OUT or --in-place, not both")
        return args.net
    if args.output is None:
        raise CliError("say where to write the result: -o OUT (or --in-place to overwrite NET)")
    return args.output


def _same_file(a: str, b: str | None) -> bool:
    if b is None:
        return False
    if os.path.exists(a) and os.path.exists(b):
        return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


def _check_output(path: str, data: str | None = None, net: str | None = None,
                  writes: str = "network") -> None:
    """Refuse early (before any work) an output path that cannot be written, or that is
    an input: the data file being read, or (``net`` given: ``predict``) the network file.
    ``writes`` is ``"network"`` or ``"csv"``: a network is never written to a ``.csv``
    name, nor a CSV to a ``.nns`` name (both are surely a slip of the keyboard)."""
    if path == "-":
        return
    if _same_file(path, data):
        raise CliError(f"{path} is the data file being read; write the result elsewhere")
    if _same_file(path, net):
        raise CliError(f"{path} is the network file being read; write the "
                       f"{'predictions' if writes == 'csv' else 'result'} elsewhere")
    suffix = os.path.splitext(path)[1].lower()
    if writes == "network" and suffix == ".csv":
        raise CliError(f"{path} is a CSV file name, but a network file is written here; "
                       "give a name ending in .nns")
    if writes == "csv" and suffix == ".nns":
        raise CliError(f"{path} is a network file name, but predictions (CSV) are written "
                       "here; give a name ending in .csv")
    if os.path.isdir(path):
        raise CliError(f"{path} is a folder; give a file name to write")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CliError(f"cannot write {path}: the folder {folder} does not exist")


def _data_arg(args, project) -> str:
    if args.data is not None:
        return args.data
    if project.data is None:
        raise CliError(f"{args.net} is not bound to a dataset: give --data CSV")
    return project.data.path


def _shown_path(path: str) -> str:
    """A path relative to the current folder when it is inside it, else absolute."""
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute)
    return absolute if rel.startswith("..") else rel


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _fmt(x: float | None, digits: int = 6) -> str:
    return "-" if x is None else f"{x:.{digits}g}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it."""
    target = os.path.realpath(os.path.abspath(path))
    folder = os.path.dirname(target)
    tmp = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        tmp = None
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _settings_with_options(settings, args):
    """The file's settings with the options given on the command line."""
    changes = {}
    for option, name in (("epochs", "epochs"), ("lr", "learning_rate"),
                         ("optimizer", "optimizer"), ("l1", "l1"), ("l2", "l2"),
                         ("split", "split"), ("standardize", "standardize"), ("seed", "seed"),
                         ("init", "init")):
        value = getattr(args, option, None)
        if value is not None:
            changes[name] = value
    if hasattr(args, "batch_size"):
        changes["batch_size"] = args.batch_size
    return settings.with_changes(**changes) if changes else settings


def _describe_layers(net) -> str:
    """``2-4-1`` for a layered network (neurons per level), from the graph's levels."""
    from nnstudio.core.graph import NetworkError

    try:
        levels = net.levels()
    except NetworkError:
        return "?"
    counts: dict[int, int] = {}
    for level in levels.values():
        counts[level] = counts.get(level, 0) + 1
    return "-".join(str(counts[k]) for k in sorted(counts))


# ----------------------------------------------------------------------------- progress
class _Progress:
    """Per-epoch progress: a bar redrawn with ``\\r`` on a terminal (stderr), else plain
    lines on stdout every ``max(1, epochs // 20)`` epochs and at the last one."""

    def __init__(self, epochs: int, quiet: bool, stream_err=None, stream_out=None) -> None:
        self.epochs = epochs
        self.quiet = quiet
        self.err = stream_err or sys.stderr
        self.out = stream_out or sys.stdout
        self.tty = bool(getattr(self.err, "isatty", lambda: False)())
        self.every = max(1, epochs // 20)
        self.done = 0
        self.last_draw = 0.0
        self.drawn = False

    @staticmethod
    def measures(record) -> str:
        """``cost 0.0123  accuracy 100.0%  val cost ...`` of one history record."""
        parts = [f"cost {_fmt(record.train_cost)}"]
        if record.train_accuracy is not None:
            parts.append(f"accuracy {_pct(record.train_accuracy)}")
        if record.val_cost is not None:
            parts.append(f"val cost {_fmt(record.val_cost)}")
        if record.val_accuracy is not None:
            parts.append(f"val accuracy {_pct(record.val_accuracy)}")
        return "  ".join(parts)

    @classmethod
    def line(cls, record) -> str:
        return f"epoch {record.epoch:>5}  {cls.measures(record)}"

    def update(self, record) -> None:
        self.done += 1
        if self.quiet:
            return
        last = self.done == self.epochs
        if self.tty:
            now = time.monotonic()
            if not last and now - self.last_draw < 0.1:
                return
            self.last_draw = now
            width = 24
            filled = int(width * self.done / max(1, self.epochs))
            bar = "#" * filled + "." * (width - filled)
            self.err.write(f"\r[{bar}] {self.done}/{self.epochs}  {self.line(record)}\x1b[K")
            self.err.flush()
            self.drawn = True
        elif last or self.done % self.every == 0 or self.done == 1:
            self.out.write(self.line(record) + "\n")
            self.out.flush()

    def close(self) -> None:
        if self.drawn:
            self.err.write("\n")
            self.err.flush()
            self.drawn = False


# ----------------------------------------------------------------------------- commands
def cmd_new(args) -> int:
    from nnstudio.core.graph import layered
    from nnstudio.core.settings import Project, TrainingSettings

    _check_output(args.out)
    if os.path.exists(args.out) and not args.force:
        raise CliError(f"{args.out} already exists (use --force to replace it)")
    from nnstudio.core.training import initialize

    net = layered(args.layers, hidden=args.hidden, output=args.output)
    settings = TrainingSettings(init=args.init, seed=args.seed)
    initialize(net, args.init, args.seed)
    _save(Project(network=net, settings=settings), args.out)
    s = net.summary()
    hidden = f", {args.hidden} hidden" if s["hidden"] else ""
    print(f"wrote {args.out}: {'-'.join(map(str, args.layers))} network{hidden}, "
          f"{args.output} outputs (loss {net.loss}), {s['parameters']} parameters, "
          f"{args.init} initialization, seed {args.seed}")
    return EXIT_OK


def cmd_train(args) -> int:
    from nnstudio.core.workflow import (apply_binding, initialize_if_needed, prepare_training,
                                        preprocessing_changes)

    out = _output_path(args)
    _check_output(out)
    project = _load(args.net)
    settings = _settings_with_options(project.settings, args)
    if settings.epochs > MAX_EPOCHS:
        raise CliError(f"{args.net}: its settings ask for {settings.epochs:,} epochs, more than "
                       f"the {MAX_EPOCHS:,} one run can train; give --epochs N")
    data = _data_arg(args, project)
    _check_output(out, data)
    prepared = prepare_training(project, data, target=args.target, poly=args.poly,
                                settings=settings)
    changes = preprocessing_changes(project, prepared, settings)
    if changes and not args.reset_state:
        raise CliError(
            f"{args.net} holds a training state, but the inputs would be prepared differently "
            f"({'; '.join(changes)}): its weights were learned on inputs prepared the old way, "
            "so continuing would train them, with the old optimizer state, on inputs they do "
            "not fit. Train without the change, or add --reset-state (it keeps the weights as "
            "they are and starts a fresh optimizer; the weights must then re-adapt to the new "
            "inputs), or start from new weights with 'nnstudio new'")
    apply_binding(project, prepared)
    net = project.network
    from nnstudio.core.training import Divergence, Trainer

    if args.reset_state:
        project.state = None        # a fresh start from these weights
    state = project.state
    if initialize_if_needed(project, settings):
        print(f"initialized the weights ({settings.init}, seed {settings.seed}): "
              "the network had none yet")
    _check_starting_outputs(net, prepared)
    trainer = _trainer(Trainer, args.net, net, settings, prepared, state)
    if getattr(args, "batch_size", None) is not None and settings.optimizer == "gd":
        print("note: gd uses the whole training set every step; --batch-size applies to "
              "sgd, momentum and adam")
    n_train = len(prepared.split[0])
    n_val, n_test = len(prepared.split[1]), len(prepared.split[2])
    if settings.early_stop_patience is not None and not n_val:
        print(f"warning: early stopping (patience {_plural(settings.early_stop_patience, 'epoch')}) "
              f"watches the validation cost, but the split {_split_text(settings.split)} has no "
              "validation rows: it is off for this run (give --split with a validation part)")
    progress = _Progress(settings.epochs, args.quiet)
    history = []
    start = time.perf_counter()
    try:
        for record in trainer.train(settings.epochs):
            history.append(record)
            progress.update(record)
    except Divergence as e:
        # The trainer's note on restored weights is for the app; here nothing is kept.
        message = re.sub(r"\s*The weights were restored[^.]*\.", "", _one_line(e))
        raise CliError(f"{message.rstrip('.')}; nothing was saved") from None
    finally:
        progress.close()
    elapsed = time.perf_counter() - start
    net.set_parameters(*trainer.parameters())
    project.settings = settings
    project.state = trainer.state()
    project.history.extend(history)
    _save(project, out)
    rows = f"{n_train} training rows" + (f", {n_val} validation" if n_val else "") \
        + (f", {n_test} test (not used)" if n_test else "")
    if trainer.stop_reason:
        print(f"stopped early: {trainer.stop_reason}")
    if history:
        print(f"trained {len(history)} epochs (to epoch {history[-1].epoch}) in {elapsed:.2f} s "
              f"on {rows}: {_Progress.measures(history[-1])}")
    else:
        print(f"trained 0 epochs (nothing to do) on {rows}")
    print(f"wrote {out}")
    if n_test:
        print(f"the {n_test} test rows are for one final score, when you have chosen on the "
              f"validation rows: nnstudio eval {_quoted(out)} --part test")
    return EXIT_OK


def _quoted(path: str) -> str:
    """A path as typed on a command line (quoted when it has spaces or quotes)."""
    import shlex

    return shlex.quote(path)


def _split_text(split) -> str:
    return "/".join(f"{f:g}" for f in split)


def _check_starting_outputs(net, prepared) -> None:
    """Refuse training whose very first outputs are already infinite or NaN: the inputs
    are far too large for the weights (raw values like 1e200), which no learning rate
    fixes. Names the first such row of the file."""
    from nnstudio.core.metrics import predict

    X = prepared.X_train
    with np.errstate(all="ignore"):
        P = np.asarray(predict(net, X), dtype=np.float64)
    bad = ~np.all(np.isfinite(P), axis=1)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    line = prepared.table.line(int(prepared.split[0][i]))
    largest = float(np.max(np.abs(X[i])))
    advice = ("rescale the data" if prepared.scaler is not None
              else "standardize the inputs (--standardize) or rescale the data")
    raise CliError(f"the network's outputs are already infinite or NaN at its starting weights "
                   f"on {os.path.basename(prepared.path)} line {line} (inputs up to "
                   f"{largest:.3g} in size), before any training step: {advice}")


def _trainer(trainer_class, path: str, net, settings, prepared, state):
    """A Trainer continuing from ``state``; a damaged state is bad input, not a bug."""
    from nnstudio.core.data import DataError
    from nnstudio.core.graph import NetworkError
    from nnstudio.core.settings import SettingsError

    try:
        return trainer_class(net, settings, prepared.X_train, prepared.Y_train,
                             prepared.X_val, prepared.Y_val, state=state)
    except (DataError, NetworkError, SettingsError):
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
        if state is None:
            raise
        what = f"missing {e}" if isinstance(e, KeyError) else _one_line(e)
        raise CliError(f"{path}: state: the saved training state cannot be used ({what}); "
                       "--reset-state trains on from the saved weights with a fresh optimizer")


PART_NAMES = {"train": "training", "val": "validation", "test": "test"}


def cmd_eval(args) -> int:
    from nnstudio.core.workflow import prepare_evaluation

    project = _load(args.net)
    data = _data_arg(args, project)
    part = args.part if args.part != "all" else None
    if part is not None:
        if project.data is None or not project.data.path:
            raise CliError(f"--part picks rows of the split {args.net} was trained with, on its "
                           "bound data file, but it is not bound to one (train it first)")
        if not _same_file(data, project.data.path):
            raise CliError(f"--part picks rows of the split {args.net} was trained with, on "
                           f"its bound data file {_shown_path(project.data.path)}, not on "
                           f"{data}; leave out --part to evaluate every row of {data}")
    prepared = prepare_evaluation(project, data, split=part is not None)
    X, Y = prepared.X, prepared.Y
    what = f"{prepared.m} rows of {_shown_path(prepared.path)} ({prepared.task})"
    if part is not None:
        X, Y = prepared.part(part)
        st = project.settings
        split = f"the split {_split_text(st.split)} with seed {st.seed}"
        if X is None:
            raise CliError(f"{split} stored in {args.net} has no {PART_NAMES[part]} rows; "
                           "train with --split TRAIN,VAL,TEST to have them")
        what = (f"{X.shape[0]} {PART_NAMES[part]} rows of {_shown_path(prepared.path)} "
                f"({prepared.task}; split {_split_text(st.split)}, seed {st.seed})")
    _check_predictions(project.network, X, prepared,
                       None if part is None else prepared.split[("train", "val", "test").index(part)])
    from nnstudio.core.metrics import evaluate

    with np.errstate(all="ignore"):
        result = evaluate(project.network, X, Y)
    if not math.isfinite(float(result["loss"])) or not all(
            math.isfinite(float(result[k])) for k in ("mse", "r2") if k in result):
        raise CliError("the loss is infinite or NaN: the network's values on these rows are "
                       "too large to score (inputs far larger than those it was trained on?)")
    if prepared.task == "classification":
        keys = ("loss", "accuracy", "confusion_matrix")
    else:
        keys = ("loss", "mse", "r2")
    values = {}
    for k in keys:
        v = result[k]
        values[k] = np.asarray(v).tolist() if k == "confusion_matrix" else float(v)
    if args.json:
        print(json.dumps(values))
        return EXIT_OK
    print(what)
    print(f"loss      {values['loss']:.6g}  ({LOSS_NAMES[project.network.loss]})")
    if prepared.task == "classification":
        cm = np.asarray(values["confusion_matrix"], dtype=np.int64)
        correct = int(np.trace(cm))
        print(f"accuracy  {values['accuracy']:.4f}  ({correct} of {int(cm.sum())} correct)")
        print("confusion matrix (rows: true class, columns: predicted class):")
        classes = [str(c) for c in (prepared.classes or range(cm.shape[0]))]
        if len(classes) != cm.shape[0]:     # several bce outputs: pooled yes/no decisions
            classes = ["0", "1"]
        width = max([len(c) for c in classes] + [len(str(cm.max())), 4])
        print(" " * width + "  " + "  ".join(c.rjust(width) for c in classes))
        for name, row in zip(classes, cm):
            print(name.rjust(width) + "  " + "  ".join(str(v).rjust(width) for v in row))
    else:
        print(f"mse       {values['mse']:.6g}")
        print(f"r2        {values['r2']:.6f}")
    return EXIT_OK


def _check_predictions(net, X, prepared, rows=None) -> np.ndarray:
    """The network's outputs for ``X``; CliError naming the file line of the first row
    whose output is infinite or NaN (no NumPy warning is shown)."""
    from nnstudio.core.metrics import predict

    with np.errstate(all="ignore"):
        P = np.asarray(predict(net, X), dtype=np.float64)
    bad = ~np.all(np.isfinite(P), axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = int(rows[i]) if rows is not None else i
        line = prepared.table.line(row)
        raise CliError(f"the network's output for {os.path.basename(prepared.path) or 'the data'} "
                       f"line {line} is infinite or NaN (inputs up to "
                       f"{float(np.max(np.abs(X[i]))):.3g} in size): the weights or the inputs "
                       "are too large; nothing can be scored or predicted from it")
    return P


def _unique(name: str, taken: set[str]) -> str:
    candidate, i = name, 2
    while candidate in taken:
        candidate, i = f"{name}_{i}", i + 1
    taken.add(candidate)
    return candidate


def prediction_columns(net, prepared, P: np.ndarray) -> tuple[list[str], list[list[str]]]:
    """Column names and text cells of the predictions ``P`` (m, K) for ``predict``.

    Regression: ``predicted_<target>`` per output. Classification: a ``p_<class>`` column
    per class (the softmax probability; for one sigmoid output ``1 - p`` and ``p``; for
    one-versus-all each class's own sigmoid score) and ``predicted_<target>``, the class
    with the highest score.
    """
    taken = set(prepared.table.columns)
    outputs = net.outputs()
    if prepared.task == "regression":
        names = [prepared.target or n.target or n.label for n in outputs]
        header = [_unique(f"predicted_{n}", taken) for n in names]
        return header, [[repr(float(v)) for v in row] for row in P]
    classes = prepared.classes
    if not classes:
        if len(outputs) == 1:
            classes = ["0", "1"]
        else:
            classes = [n.target or str(i) for i, n in enumerate(outputs)]
    if P.shape[1] == 1:                    # one sigmoid output: p is the positive class's
        scores = np.hstack([1.0 - P, P])
        best = (P[:, 0] >= 0.5).astype(np.intp)
    else:
        scores = P
        best = np.argmax(scores, axis=1)
    header = [_unique(f"p_{c}", taken) for c in classes[:scores.shape[1]]]
    header.append(_unique(f"predicted_{prepared.target or 'class'}", taken))
    rows = [[repr(float(v)) for v in row] + [classes[k]] for row, k in zip(scores, best)]
    return header, rows


def cmd_predict(args) -> int:
    from nnstudio.core.workflow import prepare_evaluation

    _check_output(args.output, net=args.net, writes="csv")
    project = _load(args.net)
    data = _data_arg(args, project)
    _check_output(args.output, data, net=args.net, writes="csv")
    prepared = prepare_evaluation(project, data, require_target=False)
    P = _check_predictions(project.network, prepared.X, prepared)
    header, cells = prediction_columns(project.network, prepared, P)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(prepared.table.columns) + header)
    for raw, extra in zip(prepared.table.cells, cells):
        writer.writerow(list(raw) + extra)
    if args.output == "-":
        sys.stdout.write(buffer.getvalue())
        return EXIT_OK
    _atomic_write_text(args.output, buffer.getvalue())
    print(f"wrote {args.output}: {prepared.m} rows, columns {', '.join(header)}")
    return EXIT_OK


def cmd_solve(args) -> int:
    from nnstudio.core.workflow import apply_binding, prepare_training

    out = _output_path(args)
    _check_output(out)
    project = _load(args.net)
    settings = _settings_with_options(project.settings, args)
    data = _data_arg(args, project)
    _check_output(out, data)
    prepared = prepare_training(project, data, target=args.target, settings=settings)
    apply_binding(project, prepared)
    net = project.network
    from nnstudio.core.metrics import evaluate
    from nnstudio.core.solve import solve_details

    try:
        with np.errstate(all="ignore"):
            solution = solve_details(net, prepared.X_train, prepared.Y_train, l2=settings.l2,
                                     l1=settings.l1)
    except np.linalg.LinAlgError as e:
        raise CliError(f"the least-squares solution could not be computed ({_one_line(e)}); "
                       "the values may be too large: standardize the inputs (--standardize "
                       "with train, or in the file's settings)") from None
    if not all(math.isfinite(v) for v in solution.weights.values()) \
            or not all(math.isfinite(v) for v in solution.biases.values()):
        raise CliError("the least-squares solution is infinite or NaN: the values are too "
                       "large; standardize the inputs or rescale the data")
    net.set_parameters(solution.weights, solution.biases)
    project.settings = settings
    project.state = None        # an optimizer's state does not belong to these weights
    _save(project, out)
    method = f"ridge (L2 {settings.l2:g})" if settings.l2 else "normal equation"
    with np.errstate(all="ignore"):
        result = evaluate(net, prepared.X_train, prepared.Y_train)
    print(f"solved by the {method} on {len(prepared.split[0])} training rows: "
          f"cost {float(result['loss']):.6g}, R^2 {float(result['r2']):.6f}")
    scaler = prepared.scaler
    column = {n.id: j for j, n in enumerate(net.inputs())}
    for out_neuron in net.outputs():
        incoming = net.incoming(out_neuron.id)
        names = [net.neuron(c.source).label for c in incoming]
        weights = [c.weight for c in incoming]
        if scaler is None:
            print(f"  {_equation(out_neuron.label, out_neuron.bias, weights, names)}")
            continue
        print(f"  {_equation(out_neuron.label, out_neuron.bias, weights, names)}  (standardized inputs)")
        mean = [float(scaler.mean[column[c.source]]) for c in incoming]
        std = [float(scaler.std[column[c.source]]) for c in incoming]
        raw = [w / s for w, s in zip(weights, std)]
        bias = out_neuron.bias - sum(w * m for w, m in zip(raw, mean))
        print(f"  {_equation(out_neuron.label, bias, raw, names)}  (in the data's units)")
    for note in solution.notes:
        print(f"note: {note}")
    print(f"wrote {out}")
    return EXIT_OK


def _equation(name: str, bias: float, weights: Iterable[float], names: Iterable[str]) -> str:
    """``y = 4.5 + 2.9*x - 1.2*z``."""
    text = f"{name} = {bias:.6g}"
    for w, n in zip(weights, names):
        text += f" {'-' if w < 0 else '+'} {abs(w):.6g}*{n}"
    return text


def cmd_gradcheck(args) -> int:
    from nnstudio.core.gradcheck import gradient_check
    from nnstudio.core.workflow import prepare_training

    project = _load(args.net)
    settings = project.settings
    prepared = prepare_training(project, _data_arg(args, project), settings=settings)
    X, Y = prepared.X_train, prepared.Y_train
    if args.samples is not None:
        X, Y = X[:args.samples], Y[:args.samples]
    with np.errstate(all="ignore"):
        result = gradient_check(project.network, X, Y, settings.l1, settings.l2)
    if not math.isfinite(float(result.cost)) or not all(
            math.isfinite(float(_rel_error(r))) for r in result.rows):
        raise CliError("the gradients are infinite or NaN at these weights on this data: the "
                       "values are too large to compare (standardize the inputs, or rescale "
                       "the data)")
    worst = sorted(result.rows, key=lambda r: -_rel_error(r))[:5]
    ok = result.max_rel_error <= args.threshold
    print(f"largest relative error {result.max_rel_error:.3g} over {len(result.rows)} "
          f"parameters on {len(X)} rows (L1 {settings.l1:g}, L2 {settings.l2:g}); "
          f"threshold {args.threshold:g}: {'passed' if ok else 'FAILED'}")
    for row in worst:
        print("  " + _gradcheck_row(row))
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def _rel_error(row) -> float:
    if isinstance(row, dict):
        return float(row.get("rel_error", 0.0))
    return float(getattr(row, "rel_error", 0.0))


def _gradcheck_row(row) -> str:
    get = row.get if isinstance(row, dict) else (lambda k, d=None: getattr(row, k, d))
    return (f"{get('name', '?'):<20} backprop {get('analytic', float('nan')):+.10g}  "
            f"numeric {get('numeric', float('nan')):+.10g}  relative error {_rel_error(row):.3g}")


def _problems(project):
    """The project's problems (see ``workflow.project_problems``), with the feature
    expressions checked against the bound data file's header when it can be read."""
    from nnstudio.core.data import DataError, read_header
    from nnstudio.core.workflow import project_problems

    columns, source = None, "the data"
    if project.data is not None and project.data.path:
        try:
            columns = read_header(project.data.path)
            source = os.path.basename(project.data.path)
        except DataError:
            pass
    return project_problems(project, columns, source)


def cmd_check(args) -> int:
    project = _load(args.net)
    net = project.network
    problems = _problems(project)
    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        ids = f" (neurons {', '.join(f'#{i}' for i in p.neurons)})" if p.neurons else ""
        print(f"{p.severity}: {p.message}{ids}")
    s = net.summary()
    if not problems:
        print(f"no problems: {_plural(s['inputs'], 'input')}, {s['hidden']} hidden, "
              f"{_plural(s['outputs'], 'output')}, {_plural(s['connections'], 'connection')}, "
              f"loss {net.loss}")
    elif not errors:
        print(f"no errors ({len(problems)} warning{'s' if len(problems) != 1 else ''})")
    return EXIT_CHECK_FAILED if errors else EXIT_OK


def _output_name(neuron, loss: str) -> str:
    """``label (class 1)``: what an output neuron stands for, when its label does not say."""
    if not neuron.target or neuron.target == neuron.label:
        return neuron.label
    what = "target" if loss == "mse" else "class"
    return f"{neuron.label} ({what} {neuron.target})"


def cmd_info(args) -> int:
    project = _load(args.net)
    net = project.network
    s = net.summary()
    n_biases = sum(1 for n in net.neurons() if n.role != "input")
    lines = [
        ("file", args.net),
        ("neurons", f"{s['inputs']} input, {s['hidden']} hidden, {s['outputs']} output "
                    f"({len(net)} in all)"),
        ("connections", str(s["connections"])),
        ("parameters", f"{s['parameters']} ({_plural(s['connections'], 'weight')}, "
                       f"{_plural(n_biases, 'bias', 'biases')})"),
        ("levels", f"{s['levels']} ({_describe_layers(net)} neurons per level)"
         if s["levels"] is not None else "none (the connections form a cycle)"),
        ("loss", f"{net.loss} ({LOSS_NAMES[net.loss]})"),
        ("inputs", ", ".join(n.feature or f"{n.label} (unbound)" for n in net.inputs()) or "none"),
        ("outputs", ", ".join(_output_name(n, net.loss) for n in net.outputs()) or "none"),
    ]
    binding = project.data
    if binding is None:
        lines.append(("data", "not bound (train with --data CSV)"))
    else:
        exists = "" if os.path.exists(binding.path) else " (missing)"
        what = binding.task
        if binding.classes:
            what += f", classes {', '.join(binding.classes)}"
        scaled = ", standardized" if binding.scaler else ""
        lines.append(("data", f"{_shown_path(binding.path)}{exists}, target '{binding.target}', "
                              f"{what}{scaled}"))
    st = project.settings
    batch = "all" if st.batch_size is None else str(st.batch_size)
    reg = f", L1 {st.l1:g}" if st.l1 else ""
    reg += f", L2 {st.l2:g}" if st.l2 else ""
    lines.append(("settings", f"{st.optimizer}, learning rate {st.learning_rate:g}, {st.epochs} "
                              f"epochs, batch {batch}{reg}, init {st.init}, seed {st.seed}, "
                              f"split {'/'.join(f'{f:g}' for f in st.split)}, "
                              f"standardize {'on' if st.standardize else 'off'}"
                              + (f", {st.precision}" if st.precision != "float64" else "")))
    if project.history:
        last = project.history[-1]
        lines.append(("history", f"{len(project.history)} epochs; last: epoch {last.epoch}, "
                                 + _Progress.measures(last)))
    else:
        lines.append(("history", "not trained yet"))
    lines.append(("state", "saved (training continues exactly)" if project.state else "none"))
    problems = _problems(project)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    if not problems:
        lines.append(("problems", "none"))
    else:
        counts = ", ".join(c for c in (
            f"{_plural(len(errors), 'error')}" if errors else "",
            f"{_plural(len(warnings), 'warning')}" if warnings else "") if c)
        lines.append(("problems", f"{counts} (run 'nnstudio check'); first: "
                                  f"{(errors or warnings)[0].message}"))
    width = max(len(k) for k, _ in lines) + 1
    for key, value in lines:
        print(f"{key + ':':<{width}} {value}")
    return EXIT_OK


# -------------------------------------------------------------------------------- main
def _hint(error: BaseException) -> str:
    """What to do about an error, in the command line's terms (or '')."""
    from nnstudio.core.workflow import FeatureCountError

    if isinstance(error, FeatureCountError):
        n = len(error.features)
        return f": make a network with {n} input{'s' if n != 1 else ''} (nnstudio new OUT --layers {n},...)"
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (see the module docstring). Never raises
    for bad input: the problem is one line on stderr."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(argv[0], COMMANDS, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        print(f"{PROG}: unknown command {argv[0]!r}{hint}; the commands are "
              f"{', '.join(COMMANDS)} (see '{PROG} -h')", file=sys.stderr)
        return EXIT_BAD_INPUT
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except SystemExit as e:  # -h, --version (0) or a usage error (2), already printed
        return int(e.code) if isinstance(e.code, int) else EXIT_BAD_INPUT
    name = f"{PROG} {args.command}"
    if extra:
        print(f"{name}: unrecognized arguments: {' '.join(extra)} (see '{name} -h')", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print(f"\n{name}: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (e.g. '| head'): not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK
    except _known_errors() as e:
        print(f"{name}: {_one_line(e)}{_hint(e)}", file=sys.stderr)
        return getattr(e, "code", EXIT_BAD_INPUT) if isinstance(e, CliError) else EXIT_BAD_INPUT
    except Exception as e:  # a bug: one line, no traceback, a distinct exit code
        print(f"{name}: internal error ({type(e).__name__}: {_one_line(e)}); "
              "please report this with the command you ran", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
