"""Malformed network files and CSVs through the real command line (issue 2, acceptance 5).

Every case runs the installed ``nnstudio`` entry point in a subprocess and must give exit
code 2, exactly one line on stderr (``nnstudio COMMAND: ...``) naming the problem (line
number, column, JSON path or neuron id), nothing on stdout, no traceback, and leave every
file in its folder exactly as it was (same bytes, same modification time, nothing new).
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from nnstudio.core.fileformat import save_project
from nnstudio.core.graph import layered
from nnstudio.core.settings import DataBinding, Project, TrainingSettings
from nnstudio.core.workflow import apply_binding, prepare_training

_SCRIPT = pathlib.Path(sys.executable).with_name("nnstudio")
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "nnstudio"]

GOOD_CSV = "x1,x2,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n0.1,0.1,0\n0.1,0.9,1\n0.9,0.1,1\n0.9,0.9,0\n"


def _network_file(folder: pathlib.Path, name: str, sizes, output: str, bind: bool) -> None:
    net = layered(sizes, output=output)
    for i, c in enumerate(net.connections()):         # any fixed nonzero weights
        net.set_weight(c.source, c.target, 0.1 * ((i % 5) - 2) + 0.05)
    project = Project(net, TrainingSettings(epochs=5))
    if bind:
        apply_binding(project, prepare_training(project, folder / "data.csv"))
    save_project(project, folder / name)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> pathlib.Path:
    """A folder with data.csv and the networks the cases start from:
    cls.nns (2-2-1 sigmoid, bound to data.csv, classes 0 and 1), reg.nns (2-1 linear),
    bce1.nns (2-1 sigmoid, unbound), soft3.nns (2-3 softmax, unbound)."""
    folder = tmp_path_factory.mktemp("template")
    (folder / "data.csv").write_text(GOOD_CSV, encoding="utf-8")
    _network_file(folder, "cls.nns", [2, 2, 1], "sigmoid", bind=True)
    _network_file(folder, "reg.nns", [2, 1], "linear", bind=False)
    _network_file(folder, "bce1.nns", [2, 1], "sigmoid", bind=False)
    _network_file(folder, "soft3.nns", [2, 3], "softmax", bind=False)
    return folder


@pytest.fixture
def work(template, tmp_path) -> pathlib.Path:
    folder = tmp_path / "work"
    shutil.copytree(template, folder)
    return folder


def snapshot(folder: pathlib.Path) -> dict:
    """Every file and folder below ``folder``: bytes and modification time."""
    state = {}
    for path in sorted(folder.rglob("*")):
        st = path.stat()
        key = str(path.relative_to(folder))
        state[key] = ("dir", st.st_mtime_ns) if path.is_dir() else (path.read_bytes(), st.st_mtime_ns)
    return state


def run_refused(folder: pathlib.Path, args: list[str], expected: list[str]) -> str:
    """Run the CLI in ``folder``; assert a clean refusal; return the message."""
    before = snapshot(folder)
    proc = subprocess.run(CLI + args, cwd=folder, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"})
    err = proc.stderr
    assert "Traceback" not in err + proc.stdout, err
    assert proc.returncode == 2, (proc.returncode, err, proc.stdout)
    assert proc.stdout == "", proc.stdout
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert err.startswith(f"nnstudio {args[0]}: "), err
    assert "internal error" not in err, err
    for part in expected:
        assert part in err, f"{part!r} not in {err!r}"
    assert snapshot(folder) == before, "a file was changed or created"
    return err.strip()


# ---------------------------------------------------------------- malformed network files
def base_network(folder: pathlib.Path) -> dict:
    """cls.nns as plain data: neurons 1, 2 (inputs), 3, 4 (hidden), 5 (output);
    connections (1,3), (2,3), (1,4), (2,4), (3,5), (4,5) in that order."""
    return json.loads((folder / "cls.nns").read_text(encoding="utf-8"))


def edit(fn):
    """A case body that edits the plain data of cls.nns."""
    def make(d):
        d = copy.deepcopy(d)
        fn(d)
        return json.dumps(d, indent=1)
    return make


def _set(path, value):
    def fn(d):
        *parents, last = path
        for p in parents:
            d = d[p]
        d[last] = value
    return edit(fn)


def _delete(key):
    return edit(lambda d: d.pop(key))


def _add_connections(*pairs):
    return edit(lambda d: d["connections"].extend({"source": s, "target": t, "weight": 0.5}
                                                   for s, t in pairs))


def _text_replace(old, new):
    return lambda d: json.dumps(d, indent=1).replace(old, new, 1)


def _first_weight(token):
    """The first connection's weight replaced by a bare JSON token such as NaN."""
    return lambda d: re.sub(r'"weight": [^,}\s]+', f'"weight": {token}', json.dumps(d, indent=1), count=1)


def _unbind_second_input(d):
    d["neurons"][1]["feature"] = None


def _drop_output_connections(d):
    d["connections"] = [c for c in d["connections"] if c["target"] != 5]


def _remove_output(d):
    d["neurons"] = [n for n in d["neurons"] if n["id"] != 5]
    _drop_output_connections(d)


TRAIN = ["train", "NET", "--data", "data.csv", "-o", "out.nns"]
NETWORK_CASES = [
    # id, content (bytes, text, or a function of the plain data), command, expected parts
    ("empty_file", b"", ["check", "NET"], ["the file is empty"]),
    ("truncated_json", lambda d: json.dumps(d, indent=1)[:300], TRAIN, ["line ", "column ", "not valid JSON"]),
    ("not_json_at_all", "neurons: 3\n", ["info", "NET"], ["line 1, column 1", "not valid JSON"]),
    ("not_utf8", b'{"format": "nnstudio-network",\n "notes": "caf\xe9"}', ["check", "NET"],
     ["line 2", "byte 0xe9", "UTF-8"]),
    ("top_level_array", "[1, 2, 3]\n", TRAIN, ["expected an object, got an array"]),
    ("wrong_format_marker", _set(["format"], "keras-model"), ["check", "NET"],
     ["format", "not an nnstudio network file"]),
    ("newer_version", _set(["version"], 99), TRAIN, ["version", "newer nnstudio (version 99)"]),
    ("missing_neurons", _delete("neurons"), ["check", "NET"], ["missing required field 'neurons'"]),
    ("misspelled_field", _text_replace('"connections"', '"conections"'), ["info", "NET"],
     ["conections", "did you mean 'connections'"]),
    ("connection_to_missing_neuron", _set(["connections", 0, "target"], 99), TRAIN,
     ["connections[0].target", "no neuron #99"]),
    ("nan_weight", _first_weight("NaN"), ["eval", "NET", "--data", "data.csv"],
     ["connections[0].weight", "NaN"]),
    ("infinite_bias", _text_replace('"bias": 0.0', '"bias": -Infinity'), ["check", "NET"],
     ["neurons[0].bias", "-Infinity"]),
    ("cycle", _add_connections((3, 4), (4, 3)), TRAIN, ["cycle", "#3", "#4"]),
    ("duplicate_neuron_id", _set(["neurons", 1, "id"], 1), ["check", "NET"],
     ["neurons[1].id", "#1 is already used"]),
    ("unknown_activation", _set(["neurons", 2, "activation"], "sigmoidd"), TRAIN,
     ["neurons[2].activation", "sigmoidd"]),
    ("bias_is_text", _set(["neurons", 2, "bias"], "0.5"), ["check", "NET"],
     ["neurons[2].bias", "expected a number"]),
    ("unknown_role", _set(["neurons", 0, "role"], "inputt"), ["info", "NET"], ["neurons[0].role", "inputt"]),
    ("connection_into_input", _add_connections((3, 1)), TRAIN, ["connections[6]", "into an input", "#1"]),
    ("duplicate_connection", _add_connections((1, 3)), ["check", "NET"],
     ["connections[6]", "#1", "#3", "already connections[0]"]),
    ("self_connection", _add_connections((3, 3)), ["check", "NET"], ["connections[6]", "#3", "itself"]),
    ("unknown_loss", _set(["loss"], "hinge"), TRAIN, ["loss", "hinge"]),
    ("duplicate_key", _text_replace('"loss": "bce",', '"loss": "bce", "loss": "mse",'), ["check", "NET"],
     ['"loss"', "more than once"]),
    ("bad_optimizer", _set(["settings", "optimizer"], "adamw"), TRAIN, ["settings", "adamw"]),
    ("negative_learning_rate", _set(["settings", "learning_rate"], -1), TRAIN, ["settings", "learning rate"]),
    ("epochs_not_whole", _set(["settings", "epochs"], 2.5), TRAIN, ["settings.epochs", "whole number"]),
    ("duplicate_class", _set(["data", "classes"], ["0", "0"]), ["eval", "NET", "--data", "data.csv"],
     ["data.classes[1]", "listed twice"]),
    ("negative_std", _set(["data", "scaler"], {"mean": [0, 0], "std": [-1, 1]}),
     ["predict", "NET", "--data", "data.csv", "-o", "pred.csv"], ["data.scaler.std[0]", "-1"]),
    ("history_without_cost", _set(["history"], [{"epoch": 1, "step": 1}]), ["info", "NET"],
     ["history[0]", "train_cost"]),
    ("network_cannot_train_softmax_single",
     edit(lambda d: (d.__setitem__("loss", "cross_entropy"), d["neurons"][4].__setitem__("activation", "softmax"))),
     TRAIN, ["softmax on a single output", "#5"]),
    ("output_unreachable", edit(_drop_output_connections), TRAIN, ["no input reaches output", "#5"]),
    ("loss_does_not_fit_outputs", _set(["loss"], "cross_entropy"), ["solve", "NET", "-o", "out.nns"],
     ["softmax cross-entropy needs every output to be softmax", "#5"]),
    ("no_output_neurons", edit(_remove_output), ["gradcheck", "NET"], ["no output neurons"]),
    ("input_without_feature", edit(_unbind_second_input), TRAIN, ["#2", "no data feature"]),
    ("feature_names_missing_column", _set(["neurons", 0, "feature"], "x9"),
     ["eval", "NET", "--data", "data.csv"], ["no column 'x9'", "x1, x2, label"]),
    ("scaler_of_wrong_size", _set(["data", "scaler"], {"mean": [0, 0, 0], "std": [1, 1, 1]}),
     ["eval", "NET"], ["feature scaling is for 3 features", "2 inputs"]),
    ("damaged_training_state", _set(["state"], {"format": 1, "epoch": 3}), TRAIN,
     ["bad.nns: state:", "training state cannot be used", "--reset-state"]),
    ("bound_data_file_missing", _set(["data", "path"], "gone.csv"), ["train", "NET", "-o", "out.nns"],
     ["gone.csv", "file not found"]),
    ("bad_feature_expression", _set(["neurons", 0, "feature"], "x1^^2"), TRAIN,
     ["input neuron x1 (#1)", "bad feature expression 'x1^^2'", "more than one '^'"]),
    ("preprocessing_changed_under_a_training_state", _set(["state"], {"format": 1}),
     TRAIN + ["--standardize"],
     ["bad.nns holds a training state", "standardization off -> on", "--reset-state"]),
]


@pytest.mark.parametrize("content,args,expected", [c[1:] for c in NETWORK_CASES],
                         ids=[c[0] for c in NETWORK_CASES])
def test_malformed_network_file(work, content, args, expected):
    if callable(content):
        content = content(base_network(work))
    target = work / "bad.nns"
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    run_refused(work, [a if a != "NET" else "bad.nns" for a in args], expected)


def test_missing_and_folder_network_files(work):
    run_refused(work, ["check", "nothere.nns"], ["nothere.nns", "no such file"])
    (work / "folder.nns").mkdir()
    run_refused(work, ["info", "folder.nns"], ["folder.nns", "folder"])


def test_at_least_twenty_network_cases():
    assert len(NETWORK_CASES) >= 20


# ------------------------------------------------------------------------ malformed CSVs
def T(net, *extra):
    return ["train", net, "--data", "bad.csv", "-o", "out.nns", *extra]


CSV_CASES = [
    # id, CSV content, command, expected parts
    ("text_in_number_column", "x1,x2,label\n1,2,0\n3,abc,1\n", T("cls.nns"),
     ["bad.csv line 3", "column 'x2'", "'abc' is not a number"]),
    ("missing_value", "x1,x2,label\n1,2,0\n3,4,1\n,5,0\n", T("cls.nns"),
     ["bad.csv line 4", "column 'x1'", "missing"]),
    ("ragged_row_short", "x1,x2,label\n1,2,0\n3,4\n", T("cls.nns"), ["line 3", "expected 3 values", "found 2"]),
    ("ragged_row_long", "x1,x2,label\n1,2,0\n3,4,1,7\n", ["eval", "cls.nns", "--data", "bad.csv"],
     ["line 3", "expected 3 values", "found 4"]),
    ("empty_file", "", T("cls.nns"), ["bad.csv is empty"]),
    ("only_blank_lines", "\n\n  \n", T("cls.nns"), ["bad.csv is empty"]),
    ("header_only", "x1,x2,label\n", T("cls.nns"), ["header but no data rows"]),
    ("missing_target_column", GOOD_CSV, T("reg.nns", "--target", "price"),
     ["no column 'price'", "x1, x2, label"]),
    ("one_class_only", "x1,x2,label\n0,0,1\n1,1,1\n0,1,1\n", T("bce1.nns"), ["'label'", "only 1 class"]),
    ("not_utf8", "x1,x2,label\n1,2,0\n3,4,caf\xe9\n".encode("latin-1"), T("cls.nns"),
     ["bad.csv line 3", "byte 0xe9", "UTF-8"]),
    ("semicolon_separated", "x1;x2;label\n1;2;0\n3;4;1\n", T("cls.nns"), ["line 1", "semicolons"]),
    ("tab_separated", "x1\tx2\tlabel\n1\t2\t0\n", T("cls.nns"), ["line 1", "tabs"]),
    ("label_not_among_classes", "x1,x2,label\n1,2,0\n3,4,1\n5,6,2\n", ["eval", "cls.nns", "--data", "bad.csv"],
     ["bad.csv line 4", "column 'label'", "class '2' is not one of the network's classes (0, 1)"]),
    ("feature_count_mismatch", "x1,x2,x3,label\n1,2,3,0\n4,5,6,1\n0,0,0,0\n1,1,1,1\n", T("reg.nns"),
     ["2 inputs", "3 non-target columns (x1, x2, x3)", "--layers 3,"]),
    ("duplicate_column_names", "x1,x1,label\n1,2,0\n", T("cls.nns"), ["line 1", "'x1' appears twice"]),
    ("empty_column_name", "x1,,label\n1,2,0\n", T("cls.nns"), ["line 1", "column 2 of the header has no name"]),
    ("nan_value", "x1,x2,label\nnan,2,0\n3,4,1\n", T("cls.nns"),
     ["line 2", "column 'x1'", "'nan'", "missing values are not allowed"]),
    ("inf_value", "x1,x2,label\n1,2,0\n3,inf,1\n", ["gradcheck", "cls.nns", "--data", "bad.csv"],
     ["line 3", "column 'x2'", "'inf' is not a number"]),
    ("huge_number", "x1,x2,label\n1,2,0\n3,1e999,1\n", T("cls.nns"), ["line 3", "column 'x2'", "too large"]),
    ("decimal_comma", 'x1,x2,label\n"1,5",2,0\n', T("cls.nns"), ["line 2", "column 'x1'", "use a dot"]),
    ("missing_target_value", "x1,x2,label\n1,2,0\n3,4,\n", T("cls.nns"),
     ["line 3", "column 'label'", "target value is missing"]),
    ("text_target_for_regression", "x1,x2,y\n1,2,yes\n3,4,no\n", T("reg.nns"),
     ["line 2", "column 'y'", "'yes' is not a number"]),
    ("three_classes_for_one_output", "x1,x2,label\n0,0,0\n1,1,1\n2,2,2\n0,1,0\n1,2,1\n2,3,2\n", T("bce1.nns"),
     ["1 output neuron can only separate 2 classes", "3 (0, 1, 2)"]),
    ("two_classes_for_three_outputs", GOOD_CSV.replace("data", "bad"), T("soft3.nns"),
     ["2 classes (0, 1)", "2 output neurons", "not 3"]),
    ("only_the_target_column", "label\n0\n1\n", T("bce1.nns"), ["only the target column 'label'"]),
    ("text_in_polynomial_column", "x1,x2,y\n1,2,3\nabc,2,3\n", T("reg.nns", "--poly", "1"),
     ["line 3", "column 'x1'", "'abc'"]),
    ("polynomial_feature_count", "x1,x2,y\n1,2,3\n2,2,3\n", T("reg.nns", "--poly", "2"),
     ["2 inputs", "polynomial degree 2", "5 features (x1, x2, x1^2, x1*x2, x2^2)", "--layers 5,"]),
    ("predict_data_lacks_a_feature", "x1,label\n1,0\n", ["predict", "cls.nns", "--data", "bad.csv", "-o", "p.csv"],
     ["no column 'x2'", "x1, label"]),
    ("solve_missing_value", "x1,x2,y\n1,2,3\n2,,3\n", ["solve", "reg.nns", "--data", "bad.csv", "-o", "out.nns"],
     ["line 3", "column 'x2'", "missing"]),
    ("unterminated_quote", 'x1,x2,label\n1,"2,0\n3,4,1\n', T("cls.nns"), ["line 2", "expected 3 values"]),
]


@pytest.mark.parametrize("content,args,expected", [c[1:] for c in CSV_CASES], ids=[c[0] for c in CSV_CASES])
def test_malformed_csv(work, content, args, expected):
    target = work / "bad.csv"
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8", newline="")
    run_refused(work, args, expected)


def test_missing_and_folder_csv_files(work):
    run_refused(work, ["train", "cls.nns", "--data", "nothere.csv", "-o", "out.nns"],
                ["file not found", "nothere.csv"])
    (work / "folder.csv").mkdir()
    run_refused(work, ["eval", "cls.nns", "--data", "folder.csv"], ["folder.csv", "folder, not a CSV file"])


def test_at_least_twenty_csv_cases():
    assert len(CSV_CASES) >= 20


# ---------------------------------------------------------------------- bad usage, too
USAGE_CASES = [
    (["train", "cls.nns", "--data", "data.csv"], ["-o OUT", "--in-place"]),
    (["train", "cls.nns", "-o", "nofolder/out.nns"], ["nofolder", "does not exist"]),
    (["train", "cls.nns", "-o", "out.nns", "--lr", "-1"], ["--lr", "must be more than 0"]),
    (["train", "cls.nns", "-o", "out.nns", "--batch-size", "ten"], ["--batch-size", "'ten'"]),
    (["train", "cls.nns", "-o", "out.nns", "--split", "0.5,0.2"], ["--split", "add up to 1"]),
    (["train", "cls.nns", "-o", "out.nns", "--optimizer", "rmsprop"], ["--optimizer", "rmsprop"]),
    (["new", "n.nns", "--layers", "4,x,3"], ["--layers", "4,x,3"]),
    (["new", "n.nns", "--layers", "4"], ["at least two layer sizes"]),
    (["new", "cls.nns", "--layers", "2,1"], ["cls.nns already exists", "--force"]),
    (["eval", "reg.nns"], ["reg.nns is not bound to a dataset", "--data"]),
    (["gradcheck", "cls.nns", "--threshold", "abc"], ["--threshold", "'abc' is not a number"]),
    (["predict", "cls.nns", "-o", "data.csv"], ["data.csv is the data file being read"]),
    (["train", "cls.nns", "-o", "out.nns", "--frobnicate"], ["unrecognized arguments: --frobnicate"]),
    (["predict", "cls.nns", "-o", "cls.nns"], ["cls.nns is the network file being read"]),
    (["predict", "cls.nns", "-o", "./cls.nns"], ["./cls.nns is the network file being read"]),
    (["predict", "cls.nns", "-o", "pred.nns"], ["pred.nns is a network file name", ".csv"]),
    (["train", "cls.nns", "-o", "data.csv"], ["data.csv is a CSV file name", ".nns"]),
    (["new", "data.csv", "--layers", "2,1", "--force"], ["data.csv is a CSV file name"]),
    (["trian", "cls.nns"], ["unknown command 'trian' (did you mean 'train'?)"]),
    (["bogus"], ["unknown command 'bogus'", "the commands are new, train"]),
    (["new", "n.nns", "--layers", "2,,1"], ["--layers", "empty layer size"]),
    (["new", "n.nns", "--layers", "10,100000"], ["100,010 neurons", "at most 100,000"]),
    (["train", "cls.nns", "-o", "out.nns", "--epochs", "99999999"], ["--epochs", "10,000,000"]),
    (["eval", "cls.nns", "--part", "test"], ["split 1/0/0 with seed 0", "no test rows"]),
    (["eval", "cls.nns", "--part", "exam"], ["--part", "'exam'"]),
]


@pytest.mark.parametrize("args,expected", USAGE_CASES, ids=[" ".join(a[:3]) for a, _ in USAGE_CASES])
def test_bad_usage_is_one_line_and_exit_2(work, args, expected):
    before = snapshot(work)
    proc = subprocess.run(CLI + args, cwd=work, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("nnstudio"), proc.stderr
    for part in expected:
        assert part in proc.stderr, proc.stderr
    assert snapshot(work) == before


# ------------------------------------------------------------- numbers too large (issue 3)
def _overflow_files(folder: pathlib.Path) -> None:
    """poly.csv (x up to 3: x^1000 overflows on line 3) with pow.nns, a 1-1 network whose
    input is the feature x^1000, bound to it; prod.nns reads big*big2 (1e200 * 1e200 on
    line 3);
    huge.csv (1e308 on line 3) and big.nns, a 2-1 linear network with weights 10."""
    (folder / "poly.csv").write_text("x,big,big2,y\n0.5,1,1,1\n3,1e200,1e200,2\n-1,1e200,1,3\n",
                                     encoding="utf-8")
    for name, feature in (("pow.nns", "x^1000"), ("prod.nns", "big*big2")):
        net = layered([1, 1])
        net.update_neuron(1, feature=feature, label=feature)
        net.set_weight(1, 2, 0.5)
        project = Project(net, TrainingSettings(epochs=5))
        project.data = DataBinding(path=str(folder / "poly.csv"), target="y")
        save_project(project, folder / name)
    (folder / "huge.csv").write_text("x1,x2,y\n1,2,3\n1e308,1e308,1\n", encoding="utf-8")
    net = layered([2, 1])
    for c in net.connections():
        net.set_weight(c.source, c.target, 10.0)
    save_project(Project(net, TrainingSettings(epochs=5)), folder / "big.nns")


OVERFLOW_CASES = [
    # the reviewer's: solve exit 70 with LAPACK lines, train "diverged, try a smaller
    # learning rate", eval exit 0 with loss inf and RuntimeWarnings
    (["solve", "pow.nns", "-o", "out.nns"], ["poly.csv line 3", "feature 'x^1000'", "(x = 3)", "too large"]),
    (["train", "pow.nns", "-o", "out.nns"], ["poly.csv line 3", "feature 'x^1000'", "too large"]),
    (["eval", "pow.nns"], ["poly.csv line 3", "feature 'x^1000'", "too large"]),
    (["predict", "pow.nns", "-o", "p.csv"], ["poly.csv line 3", "feature 'x^1000'"]),
    (["gradcheck", "pow.nns"], ["poly.csv line 3", "feature 'x^1000'"]),
    (["train", "prod.nns", "-o", "out.nns"],
     ["poly.csv line 3", "feature 'big*big2'", "big = 1e200, big2 = 1e200"]),
    (["eval", "reg.nns", "--data", "huge.csv"], ["the loss is infinite or NaN", "too large"]),
    (["eval", "big.nns", "--data", "huge.csv"], ["huge.csv line 3", "infinite or NaN"]),
    (["predict", "big.nns", "--data", "huge.csv", "-o", "p.csv"], ["huge.csv line 3", "infinite or NaN"]),
    (["train", "big.nns", "--data", "huge.csv", "-o", "out.nns"],
     ["already infinite or NaN at its starting weights", "huge.csv line 3", "--standardize"]),
    (["gradcheck", "big.nns", "--data", "huge.csv"], ["gradients are infinite or NaN"]),
]


@pytest.mark.parametrize("args", [c[0] for c in OVERFLOW_CASES],
                         ids=[" ".join(c[0][:2]) + f" {i}" for i, c in enumerate(OVERFLOW_CASES)])
def test_numbers_too_large_are_named_not_warned_about(work, args):
    _overflow_files(work)
    expected = dict((tuple(a), e) for a, e in OVERFLOW_CASES)[tuple(args)]
    message = run_refused(work, args, expected)
    assert "RuntimeWarning" not in message and "LAPACK" not in message


def test_a_huge_column_standardizes_without_warnings(work):
    """1e300 values with --standardize: the overflow in the standard deviation used to
    print a RuntimeWarning and end with a message that did not name the column."""
    (work / "big.csv").write_text("x1,x2,label\n1e300,0,0\n2e300,1,1\n1,0,0\n3e300,1,1\n",
                                  encoding="utf-8")
    proc = subprocess.run(CLI + ["train", "cls.nns", "--data", "big.csv", "--standardize",
                                 "-q", "-o", "out.nns"], cwd=work, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"})
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    from nnstudio.core.fileformat import load_project

    scaler = load_project(work / "out.nns").data.scaler
    assert scaler["mean"][0] == pytest.approx(1.5e300, rel=1e-12)
    assert scaler["std"][0] == pytest.approx(np.std([1.0, 2.0, 1e-300, 3.0]) * 1e300, rel=1e-12)
