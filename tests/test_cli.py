"""The command line on the sample data, as documented (issue 2, section 6, acceptance 6).

Commands run in-process through ``nnstudio.cli.main`` (fast, output captured); a few run
the installed entry point in a subprocess to prove it. Results are checked against
independent computations: a forward pass written here from the file's JSON, and
``numpy.linalg.lstsq`` for the closed form.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from cli_runner import ok, run

from nnstudio import cli
from nnstudio.core.fileformat import load_project

REPO = pathlib.Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_data"
_SCRIPT = pathlib.Path(sys.executable).with_name("nnstudio")
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "nnstudio"]

EXAMPLES = sorted(p.stem for p in SAMPLES.glob("*.nns"))


@pytest.fixture
def samples(tmp_path) -> pathlib.Path:
    """A private copy of sample_data/ (CSVs and example networks), so nothing in the
    repository is ever written by a test."""
    folder = tmp_path / "sample_data"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


# --------------------------------------------------------------- independent forward pass
def _g(name, z):
    return {"identity": lambda: z, "tanh": lambda: np.tanh(z), "sigmoid": lambda: 1 / (1 + np.exp(-z)),
            "relu": lambda: np.maximum(z, 0), "leaky_relu": lambda: np.where(z > 0, z, 0.01 * z)}[name]()


def reference_outputs(nns: pathlib.Path, csv_path: pathlib.Path) -> tuple[np.ndarray, dict]:
    """Outputs (m, K) computed here from the file's JSON alone: features read with the csv
    module, the stored scaler applied, then neuron by neuron in topological order."""
    doc = json.loads(nns.read_text(encoding="utf-8"))
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    neurons = {n["id"]: n for n in doc["neurons"]}
    inputs = sorted(i for i, n in neurons.items() if n["role"] == "input")
    outputs = sorted(i for i, n in neurons.items() if n["role"] == "output")

    def feature(row, expr):
        value = 1.0
        for factor in expr.split("*"):
            name, _, power = factor.partition("^")
            value *= float(row[name]) ** int(power or 1)
        return value

    X = np.array([[feature(r, neurons[i]["feature"]) for i in inputs] for r in rows])
    scaler = (doc.get("data") or {}).get("scaler")
    if scaler:
        X = (X - np.array(scaler["mean"])) / np.array(scaler["std"])
    a = {i: X[:, j] for j, i in enumerate(inputs)}
    z = {}
    incoming: dict[int, list] = {}
    for c in doc["connections"]:
        incoming.setdefault(c["target"], []).append(c)
    pending = [i for i in neurons if i not in a]
    while pending:
        for nid in list(pending):
            if all(c["source"] in a for c in incoming.get(nid, [])):
                z[nid] = neurons[nid]["bias"] + sum(c["weight"] * a[c["source"]] for c in incoming.get(nid, []))
                act = neurons[nid]["activation"]
                a[nid] = z[nid] if act == "softmax" else _g(act, z[nid])
                pending.remove(nid)
    Z = np.column_stack([z[i] for i in outputs])
    if doc["loss"] == "cross_entropy":
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True), doc
    return np.column_stack([a[i] for i in outputs]), doc


def target_column(csv_path, name):
    with open(csv_path, newline="", encoding="utf-8") as f:
        return [r[name] for r in csv.DictReader(f)]


# ------------------------------------------------------------------------------ commands
def test_version_and_help(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == "nnstudio 0.1.0"
    code, out, _ = run(capsys, "-h")
    assert code == 0
    for command in ("new", "train", "eval", "predict", "solve", "gradcheck", "check", "info"):
        assert command in out
    code, out, _ = run(capsys, "train", "-h")
    assert code == 0 and "--batch-size" in out and "--in-place" in out


def test_new_writes_an_initialized_layered_network(capsys, tmp_path):
    out = ok(capsys, "new", tmp_path / "n.nns", "--layers", "4,10,3", "--output", "softmax",
             "--hidden", "relu", "--init", "he", "--seed", "7")
    assert "4-10-3 network" in out and "83 parameters" in out
    project = load_project(tmp_path / "n.nns")
    net = project.network
    assert [len(net.inputs()), len(net.hidden()), len(net.outputs())] == [4, 10, 3]
    assert net.loss == "cross_entropy" and {n.activation for n in net.hidden()} == {"relu"}
    assert project.settings.init == "he" and project.settings.seed == 7
    weights = [c.weight for c in net.connections()]
    assert len(set(weights)) == len(weights)                       # initialized, not zeros
    again = tmp_path / "again.nns"
    ok(capsys, "new", again, "--layers", "4,10,3", "--output", "softmax", "--hidden", "relu",
       "--init", "he", "--seed", "7")
    assert again.read_bytes() == (tmp_path / "n.nns").read_bytes()  # seeded
    ok(capsys, "new", again, "--layers", "2,1", "--output", "ova", "--force")
    assert load_project(again).network.loss == "ova"


def test_every_example_trains_well_with_no_options(capsys, samples, tmp_path):
    """The settings stored in each example give a good result as they are."""
    good = {}
    for name in EXAMPLES:
        out_path = tmp_path / f"{name}.trained.nns"
        ok(capsys, "train", samples / f"{name}.nns", "-o", out_path, "-q")
        result = json.loads(ok(capsys, "eval", out_path, "--json"))
        good[name] = result
    for name in ("logistic", "xor", "circles", "spiral", "blobs_softmax", "blobs_ova", "iris"):
        assert good[name]["accuracy"] >= 0.95, (name, good[name])
        assert set(good[name]) == {"loss", "accuracy", "confusion_matrix"}
    for name, r2 in (("linear_1var", 0.9), ("linear_2var", 0.9), ("linear_multi", 0.9),
                     ("polynomial", 0.7), ("polynomial_l2", 0.7)):   # noise sd 1.5 on a small signal
        assert good[name]["r2"] >= r2, (name, good[name])
        assert set(good[name]) == {"loss", "mse", "r2"}


def test_train_prints_progress_and_writes_history_settings_binding_and_state(capsys, samples, tmp_path):
    out = ok(capsys, "train", samples / "iris.nns", "-o", tmp_path / "t.nns")
    lines = out.splitlines()
    epochs = [line for line in lines if line.startswith("epoch")]
    assert len(epochs) == 21                                       # epoch 1 + every 15th of 300
    assert epochs[-1].split()[1] == "300" and "val accuracy" in epochs[-1]
    assert lines[-3].startswith("trained 300 epochs") and "90 training rows, 30 validation" in lines[-3]
    assert lines[-2] == f"wrote {tmp_path / 't.nns'}"
    assert lines[-1].startswith("the 30 test rows are for one final score") \
        and lines[-1].endswith(f"nnstudio eval {tmp_path / 't.nns'} --part test")
    project = load_project(tmp_path / "t.nns")
    assert len(project.history) == 300 and project.history[-1].epoch == 300
    assert project.state is not None and project.state["epoch"] == 300
    assert project.data.path == str(samples / "iris.csv")
    doc = json.loads((tmp_path / "t.nns").read_text(encoding="utf-8"))
    assert doc["data"]["path"] == "sample_data/iris.csv"          # stored relative to the file
    assert len(doc["data"]["scaler"]["mean"]) == 4


def test_progress_bar_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    from nnstudio.core.settings import EpochRecord

    err, out = Tty(), io.StringIO()
    bar = cli._Progress(3, quiet=False, stream_err=err, stream_out=out)
    for e in (1, 2, 3):
        bar.update(EpochRecord(epoch=e, step=e, train_cost=1.0 / e))
    bar.close()
    assert out.getvalue() == ""
    assert err.getvalue().startswith("\r[") and "3/3" in err.getvalue() and err.getvalue().endswith("\n")


def test_settings_in_the_file_are_defaults_and_options_override(capsys, samples, tmp_path):
    base = load_project(samples / "xor.nns").settings
    ok(capsys, "train", samples / "xor.nns", "-o", tmp_path / "a.nns", "-q")
    assert load_project(tmp_path / "a.nns").settings == base      # nothing given, nothing changed
    ok(capsys, "train", samples / "xor.nns", "-o", tmp_path / "b.nns", "-q", "--epochs", "7",
       "--lr", "0.01", "--optimizer", "momentum", "--batch-size", "16", "--l2", "0.5", "--l1", "0.25",
       "--split", "0.5,0.25,0.25", "--standardize", "--seed", "9")
    project = load_project(tmp_path / "b.nns")
    s = project.settings
    assert (s.epochs, s.learning_rate, s.optimizer, s.batch_size, s.l2, s.l1) == (7, 0.01, "momentum", 16, 0.5, 0.25)
    assert (s.split, s.standardize, s.seed) == ((0.5, 0.25, 0.25), True, 9)
    assert (s.beta1, s.init) == (base.beta1, base.init)           # the rest kept from the file
    assert len(project.history) == 7 and project.history[-1].val_cost is not None
    assert project.data.scaler is not None
    ok(capsys, "train", tmp_path / "b.nns", "-o", tmp_path / "c.nns", "-q", "--batch-size", "all",
       "--no-standardize", "--epochs", "1", "--reset-state")   # a new preprocessing: see below
    c = load_project(tmp_path / "c.nns")
    assert c.settings.batch_size is None and c.settings.standardize is False and c.data.scaler is None
    assert c.settings.optimizer == "momentum"                     # b's settings are c's defaults


def test_train_never_overwrites_its_input_unless_asked(capsys, samples):
    net = samples / "xor.nns"
    before = net.read_bytes()
    code, out, err = run(capsys, "train", net, "--epochs", "2")
    assert code == 2 and "-o OUT" in err and out == ""
    assert net.read_bytes() == before
    ok(capsys, "train", net, "-o", samples / "elsewhere.nns", "--epochs", "2", "-q")
    assert net.read_bytes() == before
    ok(capsys, "train", net, "--in-place", "--epochs", "2", "-q")
    assert net.read_bytes() != before and len(load_project(net).history) == 2
    ok(capsys, "train", net, "-o", net, "--epochs", "3", "-q")     # -o naming NET is asking
    assert len(load_project(net).history) == 5


@pytest.mark.parametrize("options", [
    ["--optimizer", "adam", "--batch-size", "16"],
    ["--optimizer", "momentum", "--batch-size", "10", "--l2", "0.1"],
    ["--optimizer", "sgd", "--batch-size", "7", "--split", "0.7,0.3,0", "--standardize"],
    ["--optimizer", "gd", "--l1", "0.05"],
], ids=["adam-b16", "momentum-b10-l2", "sgd-b7-split", "gd-l1"])
def test_continued_training_equals_uninterrupted_training(capsys, samples, tmp_path, options):
    full, half, cont = tmp_path / "full.nns", tmp_path / "half.nns", tmp_path / "cont.nns"
    ok(capsys, "train", samples / "xor.nns", "-o", full, "--epochs", "50", "-q", *options)
    ok(capsys, "train", samples / "xor.nns", "-o", half, "--epochs", "23", "-q", *options)
    ok(capsys, "train", half, "-o", cont, "--epochs", "27", "-q")
    a, b = load_project(full), load_project(cont)
    assert a.network.parameters() == b.network.parameters()       # bit for bit
    assert [r.to_dict() for r in a.history] == [r.to_dict() for r in b.history]
    assert a.state == b.state


def test_reset_state_trains_on_from_the_weights_with_a_fresh_optimizer(capsys, samples, tmp_path):
    ok(capsys, "train", samples / "xor.nns", "-o", tmp_path / "a.nns", "--epochs", "5", "-q")
    ok(capsys, "train", tmp_path / "a.nns", "-o", tmp_path / "b.nns", "--epochs", "5", "-q", "--reset-state")
    history = load_project(tmp_path / "b.nns").history
    assert [r.epoch for r in history] == [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]


def test_eval_matches_an_independent_computation_classification(capsys, samples, tmp_path):
    trained = tmp_path / "iris.nns"
    ok(capsys, "train", samples / "iris.nns", "-o", trained, "-q")
    result = json.loads(ok(capsys, "eval", trained, "--data", samples / "iris.csv", "--json"))
    assert list(result) == ["loss", "accuracy", "confusion_matrix"]
    P, doc = reference_outputs(trained, samples / "iris.csv")
    classes = doc["data"]["classes"]
    y = np.array([classes.index(v) for v in target_column(samples / "iris.csv", "species")])
    assert result["loss"] == pytest.approx(-np.mean(np.log(P[np.arange(len(y)), y])), rel=1e-12)
    pred = P.argmax(axis=1)
    assert result["accuracy"] == pytest.approx(np.mean(pred == y), abs=0)
    cm = np.zeros((3, 3), dtype=int)
    np.add.at(cm, (y, pred), 1)
    assert result["confusion_matrix"] == cm.tolist()
    text = ok(capsys, "eval", trained, "--data", samples / "iris.csv")
    assert f"{result['loss']:.6g}" in text and f"{result['accuracy']:.4f}" in text
    assert re.search(r"versicolor +0 +%d +%d" % (cm[1, 1], cm[1, 2]), text), text


def test_eval_matches_an_independent_computation_regression(capsys, samples, tmp_path):
    trained = tmp_path / "multi.nns"
    ok(capsys, "train", samples / "linear_multi.nns", "-o", trained, "-q")
    result = json.loads(ok(capsys, "eval", trained, "--json"))    # --data from the binding
    assert list(result) == ["loss", "mse", "r2"]
    P, _ = reference_outputs(trained, samples / "linear_multi.csv")
    y = np.array(target_column(samples / "linear_multi.csv", "price_k"), dtype=float)
    err = P[:, 0] - y
    assert result["loss"] == pytest.approx(np.mean(err**2) / 2, rel=1e-10)
    assert result["mse"] == pytest.approx(np.mean(err**2), rel=1e-10)
    assert result["r2"] == pytest.approx(1 - np.sum(err**2) / np.sum((y - y.mean())**2), rel=1e-10)
    text = ok(capsys, "eval", trained, "--data", samples / "linear_multi.csv")
    assert "mse" in text and "r2" in text


def test_eval_of_a_binary_classifier(capsys, samples, tmp_path):
    trained = tmp_path / "xor.nns"
    ok(capsys, "train", samples / "xor.nns", "-o", trained, "-q")
    result = json.loads(ok(capsys, "eval", trained, "--json"))
    P, _ = reference_outputs(trained, samples / "xor.csv")
    y = np.array(target_column(samples / "xor.csv", "label"), dtype=float)
    p = P[:, 0]
    assert result["loss"] == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-9)
    pred = (p >= 0.5).astype(int)
    cm = [[int(np.sum((y == t) & (pred == q))) for q in (0, 1)] for t in (0, 1)]
    assert result["confusion_matrix"] == cm and result["accuracy"] == np.mean(pred == y)


def test_predict_writes_rows_probabilities_and_classes(capsys, samples, tmp_path):
    trained, pred = tmp_path / "blobs.nns", tmp_path / "pred.csv"
    ok(capsys, "train", samples / "blobs_softmax.nns", "-o", trained, "-q")
    out = ok(capsys, "predict", trained, "--data", samples / "blobs.csv", "-o", pred)
    assert "300 rows" in out
    with open(pred, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header == ["x1", "x2", "label", "p_alpha", "p_beta", "p_delta", "p_gamma", "predicted_label"]
    with open(samples / "blobs.csv", newline="", encoding="utf-8") as f:
        original = list(csv.reader(f))
    assert [r[:3] for r in rows] == original                      # input rows kept as they were
    P = np.array([[float(v) for v in r[3:7]] for r in rows[1:]])
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-12)
    P_ref, _ = reference_outputs(trained, samples / "blobs.csv")
    np.testing.assert_allclose(P, P_ref, rtol=1e-10, atol=1e-15)
    classes = ["alpha", "beta", "delta", "gamma"]
    assert [r[7] for r in rows[1:]] == [classes[k] for k in P.argmax(axis=1)]
    assert not list(tmp_path.glob(".*.tmp"))                      # the temporary file is gone


def test_predict_new_data_without_target_and_to_stdout(capsys, samples, tmp_path):
    trained = tmp_path / "xor.nns"
    ok(capsys, "train", samples / "xor.nns", "-o", trained, "-q")
    new = tmp_path / "new.csv"
    new.write_text("x1,x2\n0,0\n0,1\n1,0\n1,1\n", encoding="utf-8")
    out = ok(capsys, "predict", trained, "--data", new, "-o", "-")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["x1", "x2", "p_0", "p_1", "predicted_class"]
    assert [r[-1] for r in rows[1:]] == ["0", "1", "1", "0"]      # XOR learned


def test_predict_regression_column(capsys, samples, tmp_path):
    ok(capsys, "solve", samples / "linear_1var.nns", "-o", tmp_path / "s.nns")
    ok(capsys, "predict", tmp_path / "s.nns", "-o", tmp_path / "p.csv")
    with open(tmp_path / "p.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["x", "y", "predicted_y"]
    project = load_project(tmp_path / "s.nns")
    w = project.network.connections()[0].weight
    b = project.network.outputs()[0].bias
    for r in rows:
        assert float(r["predicted_y"]) == pytest.approx(w * float(r["x"]) + b, rel=1e-12)


def test_solve_recovers_the_line_and_equals_lstsq(capsys, samples, tmp_path):
    out_path = tmp_path / "solved.nns"
    out = ok(capsys, "solve", samples / "linear_1var.nns", "-o", out_path)
    assert "normal equation" in out
    net = load_project(out_path).network
    w, b = net.connections()[0].weight, net.outputs()[0].bias
    assert w == pytest.approx(3, abs=0.2) and b == pytest.approx(4, abs=0.8)
    x = np.array(target_column(samples / "linear_1var.csv", "x"), dtype=float)
    y = np.array(target_column(samples / "linear_1var.csv", "y"), dtype=float)
    theta = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)[0]
    assert abs(w - theta[0]) <= 1e-8 * abs(theta[0]) and abs(b - theta[1]) <= 1e-8 * abs(theta[1])
    # gradient descent with the example's settings converges to the same answer
    ok(capsys, "train", samples / "linear_1var.nns", "-o", tmp_path / "gd.nns", "-q")
    gd = load_project(tmp_path / "gd.nns").network
    assert gd.connections()[0].weight == pytest.approx(theta[0], rel=1e-6)
    assert gd.outputs()[0].bias == pytest.approx(theta[1], rel=1e-6)


def test_solve_ridge_follows_the_course_convention(capsys, samples, tmp_path):
    lam = 5.0
    ok(capsys, "solve", samples / "linear_2var.nns", "--l2", lam, "-o", tmp_path / "r.nns")
    project = load_project(tmp_path / "r.nns")
    assert project.settings.l2 == lam
    net = project.network
    rows = list(csv.DictReader(open(samples / "linear_2var.csv", newline="", encoding="utf-8")))
    X = np.array([[float(r["x1"]), float(r["x2"]), 1.0] for r in rows])
    y = np.array([float(r["y"]) for r in rows])
    I0 = np.diag([1.0, 1.0, 0.0])                                 # the bias is not penalized
    theta = np.linalg.solve(X.T @ X + 2 * lam * I0, X.T @ y)      # TOPICS.md section 2
    got = [net.connection(1, 3).weight, net.connection(2, 3).weight, net.neuron(3).bias]
    np.testing.assert_allclose(got, theta, rtol=1e-9)


def test_solve_refuses_networks_without_a_closed_form(capsys, samples, tmp_path):
    ok(capsys, "new", tmp_path / "deep.nns", "--layers", "1,3,1")
    l1 = tmp_path / "l1.nns"
    ok(capsys, "train", samples / "linear_1var.nns", "--l1", "0.5", "--epochs", "1", "-q", "-o", l1)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    for args, why in ((["xor.nns"], "this network uses bce"),
                      ([tmp_path / "deep.nns", "--data", samples / "linear_1var.csv"],
                       "without hidden neurons; this one has h1, h2, h3"),
                      ([l1], "L1 regularization has no closed form")):
        if args[0] == "xor.nns":
            args = [samples / "xor.nns"]
        code, out, err = run(capsys, "solve", *args, "-o", tmp_path / "x.nns")
        assert code == 2 and out == "" and err.startswith("nnstudio solve: ") and err.count("\n") == 1
        assert why in err, err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    ok(capsys, "solve", l1, "--l1", "0", "-o", tmp_path / "x.nns")  # an option overrides the file


def test_gradcheck_passes_and_a_zero_threshold_fails(capsys, samples, tmp_path):
    out = ok(capsys, "gradcheck", samples / "iris.nns")
    assert out.startswith("largest relative error") and "passed" in out
    error = float(out.split()[3])
    assert 0 < error < 1e-6
    ok(capsys, "train", samples / "polynomial_l2.nns", "-o", tmp_path / "p.nns", "-q", "--epochs", "50")
    assert "passed" in ok(capsys, "gradcheck", tmp_path / "p.nns", "--samples", "10")
    code, out, _ = run(capsys, "gradcheck", samples / "xor.nns", "--threshold", "0")
    assert code == 1 and "FAILED" in out


def test_check_and_info(capsys, samples, tmp_path):
    out = ok(capsys, "check", samples / "iris.nns")
    assert out.startswith("no problems")
    broken = tmp_path / "broken.nns"
    doc = json.loads((samples / "xor.nns").read_text(encoding="utf-8"))
    doc["connections"] = [c for c in doc["connections"] if c["target"] != 7]   # output cut off
    broken.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run(capsys, "check", broken)
    assert code == 1 and err == ""
    assert "error: no input reaches output label (neurons #7)" in out
    assert "warning: hidden neuron h1 feeds nothing (neurons #3)" in out
    info = ok(capsys, "info", samples / "iris.nns")
    for expected in ("neurons:     4 input, 10 hidden, 3 output (17 in all)", "connections: 70",
                     "parameters:  83 (70 weights, 13 biases)", "levels:      3 (4-10-3 neurons per level)",
                     "loss:        cross_entropy", "target 'species'", "classes setosa, versicolor, virginica",
                     "split 0.6/0.2/0.2", "history:     not trained yet"):
        assert expected in info, info
    ok(capsys, "train", samples / "iris.nns", "-o", tmp_path / "t.nns", "-q", "--epochs", "3")
    assert "history:     3 epochs; last: epoch 3, cost" in ok(capsys, "info", tmp_path / "t.nns")


def test_poly_binds_polynomial_features(capsys, samples, tmp_path):
    ok(capsys, "new", tmp_path / "p3.nns", "--layers", "3,1")
    ok(capsys, "train", tmp_path / "p3.nns", "--data", samples / "polynomial.csv", "--poly", "3",
       "--standardize", "--optimizer", "adam", "--lr", "0.05", "--epochs", "3000", "-o", tmp_path / "t.nns", "-q")
    project = load_project(tmp_path / "t.nns")
    assert [n.feature for n in project.network.inputs()] == ["x", "x^2", "x^3"]
    assert json.loads(ok(capsys, "eval", tmp_path / "t.nns", "--json"))["r2"] > 0.75
    code, _, err = run(capsys, "train", tmp_path / "p3.nns", "--data", samples / "polynomial.csv",
                       "--poly", "5", "-o", tmp_path / "u.nns")
    assert code == 2 and "network has 3 inputs but polynomial degree 5 on column x gives 5 features" in err
    assert "--layers 5," in err


def test_divergence_saves_nothing_and_says_what_to_try(capsys, samples, tmp_path):
    code, out, err = run(capsys, "train", samples / "linear_1var.nns", "--lr", "10", "-o", tmp_path / "d.nns")
    assert code == 2 and err.count("\n") == 1
    assert "diverged at epoch" in err and "smaller learning rate" in err and "nothing was saved" in err
    assert not (tmp_path / "d.nns").exists()


def test_no_command_writes_over_its_inputs(capsys, samples, tmp_path):
    """predict NET -o NET used to replace the network with CSV text."""
    trained = tmp_path / "l.nns"
    ok(capsys, "solve", samples / "linear_1var.nns", "-o", trained)
    before = {p: p.read_bytes() for p in (trained, samples / "linear_1var.csv")}
    link = tmp_path / "link.csv"
    link.symlink_to(samples / "linear_1var.csv")
    data_link = tmp_path / "data.txt"                              # no .csv suffix to catch
    data_link.symlink_to(samples / "linear_1var.csv")
    cases = [
        (["predict", trained, "-o", trained], "is the network file being read"),
        (["predict", trained, "-o", tmp_path / "." / "l.nns"], "is the network file being read"),
        (["predict", trained, "-o", samples / "linear_1var.csv"], "is the data file being read"),
        (["predict", trained, "--data", link, "-o", samples / "linear_1var.csv"],
         "is the data file being read"),
        (["predict", trained, "-o", tmp_path / "new.nns"], "give a name ending in .csv"),
        (["train", trained, "-o", samples / "linear_1var.csv"], "give a name ending in .nns"),
        (["train", trained, "--data", link, "-o", tmp_path / "l.nns" / ".." / "link.csv"],
         "give a name ending in .nns"),
        (["solve", trained, "-o", samples / "linear_1var.csv"], "give a name ending in .nns"),
        (["solve", trained, "--data", samples / "linear_1var.csv", "-o", data_link],
         "is the data file being read"),
        (["train", trained, "--data", data_link, "-o", data_link], "is the data file being read"),
        (["new", samples / "linear_1var.csv", "--layers", "1,1", "--force"],
         "give a name ending in .nns"),
    ]
    for args, why in cases:
        code, out, err = run(capsys, *args)
        assert code == 2 and out == "" and why in err, (args, err)
    assert {p: p.read_bytes() for p in before} == before
    assert not (tmp_path / "new.nns").exists()


def _trained_iris(capsys, samples, tmp_path) -> pathlib.Path:
    trained = tmp_path / "iris.nns"                                # split 0.6/0.2/0.2, seed 0
    ok(capsys, "train", samples / "iris.nns", "-o", trained, "-q")
    return trained


def test_eval_part_scores_the_stored_split(capsys, samples, tmp_path):
    trained = _trained_iris(capsys, samples, tmp_path)
    project = load_project(trained)
    last = project.history[-1]
    train = json.loads(ok(capsys, "eval", trained, "--part", "train", "--json"))
    val = json.loads(ok(capsys, "eval", trained, "--part", "val", "--json"))
    test = json.loads(ok(capsys, "eval", trained, "--part", "test", "--json"))
    assert train["loss"] == pytest.approx(last.train_cost, rel=1e-12)    # the same rows as
    assert val["loss"] == pytest.approx(last.val_cost, rel=1e-12)        # training used
    assert train["accuracy"] == pytest.approx(last.train_accuracy, abs=0)
    assert val["accuracy"] == pytest.approx(last.val_accuracy, abs=0)
    assert [int(np.sum(r["confusion_matrix"])) for r in (train, val, test)] == [90, 30, 30]
    # the test rows, found independently: the split drawn as documented, stratified
    from nnstudio.core.data import load_dataset, split_indices

    raw = load_dataset(samples / "iris.csv", classes=project.data.classes)
    _, _, test_rows = split_indices(150, (0.6, 0.2, 0.2), 0, raw.y)
    P, _ = reference_outputs(trained, samples / "iris.csv")
    y = raw.y[test_rows]
    assert test["loss"] == pytest.approx(-np.mean(np.log(P[test_rows, y])), rel=1e-12)
    assert test["accuracy"] == pytest.approx(np.mean(P[test_rows].argmax(axis=1) == y), abs=0)
    every = json.loads(ok(capsys, "eval", trained, "--json"))            # default: every row
    assert every == json.loads(ok(capsys, "eval", trained, "--part", "all", "--json"))
    assert int(np.sum(every["confusion_matrix"])) == 150
    text = ok(capsys, "eval", trained, "--part", "test")
    assert text.splitlines()[0] == \
        f"30 test rows of {samples / 'iris.csv'} (classification; split 0.6/0.2/0.2, seed 0)"


def test_eval_part_refusals(capsys, samples, tmp_path):
    trained = _trained_iris(capsys, samples, tmp_path)
    code, out, err = run(capsys, "eval", trained, "--data", samples / "blobs.csv", "--part", "test")
    assert code == 2 and "--part picks rows of the split" in err and "leave out --part" in err
    ok(capsys, "train", samples / "xor.nns", "-o", tmp_path / "x.nns", "-q", "--epochs", "1")
    code, out, err = run(capsys, "eval", tmp_path / "x.nns", "--part", "test")
    assert code == 2 and "split 1/0/0 with seed 0" in err and "has no test rows" in err
    ok(capsys, "new", tmp_path / "n.nns", "--layers", "2,1")
    code, out, err = run(capsys, "eval", tmp_path / "n.nns", "--data", samples / "xor.csv",
                         "--part", "val")
    assert code == 2 and "not bound" in err


def test_changing_the_preprocessing_of_a_trained_network_is_refused(capsys, samples, tmp_path):
    """The reviewer's case: standardized training continued without standardization ran
    the old optimizer on raw inputs (R^2 -15856, exit 0)."""
    lm, lm2 = tmp_path / "lm.nns", tmp_path / "lm2.nns"
    ok(capsys, "train", samples / "linear_multi.nns", "--standardize", "-q", "-o", lm)
    before = lm.read_bytes()
    code, out, err = run(capsys, "train", lm, "--no-standardize", "-q", "-o", lm2)
    assert code == 2 and out == "" and not lm2.exists()
    assert "standardization on -> off" in err and "--reset-state" in err
    assert "keeps the weights as they are and starts a fresh optimizer" in err
    poly = tmp_path / "p.nns"
    ok(capsys, "new", tmp_path / "p1.nns", "--layers", "1,1")
    ok(capsys, "train", tmp_path / "p1.nns", "--data", samples / "polynomial.csv", "-q",
       "--epochs", "5", "-o", poly)
    code, _, err = run(capsys, "train", poly, "--poly", "1", "--target", "x", "--data",
                       samples / "polynomial.csv", "-o", lm2)
    assert code == 2 and "features x -> y" in err and "target 'y' -> 'x'" in err
    # nothing changed: continues; --reset-state: allowed (and the weights are kept)
    ok(capsys, "train", lm, "--epochs", "3", "-q", "-o", lm2)
    ok(capsys, "train", lm, "--no-standardize", "--reset-state", "--lr", "1e-6", "--epochs", "1",
       "-q", "-o", lm2)
    assert load_project(lm2).data.scaler is None
    assert lm.read_bytes() == before


def test_continuing_on_other_rows_keeps_the_scaling_the_weights_learned(capsys, samples, tmp_path):
    a, b = tmp_path / "a.nns", tmp_path / "b.nns"
    ok(capsys, "train", samples / "linear_multi.nns", "--epochs", "50", "-q", "-o", a)
    half = tmp_path / "half.csv"
    lines = (samples / "linear_multi.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    half.write_text("".join(lines[:101]), encoding="utf-8")
    ok(capsys, "train", a, "--data", half, "--epochs", "5", "-q", "-o", b)
    assert load_project(b).data.scaler == load_project(a).data.scaler


def test_check_and_train_name_a_bad_feature_expression(capsys, samples, tmp_path):
    doc = json.loads((samples / "xor.nns").read_text(encoding="utf-8"))
    doc["neurons"][0]["feature"] = "x1^^2"
    bad = tmp_path / "bad.nns"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    shutil.copy(samples / "xor.csv", tmp_path / "xor.csv")
    doc["data"]["path"] = "xor.csv"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run(capsys, "check", bad)
    assert code == 1 and err == ""
    assert "error: input x1: bad feature expression 'x1^^2': 'x1^^2' has more than one '^' " \
           "(neurons #1)" in out
    assert "1 error (run 'nnstudio check'); first: input x1: bad feature" in ok(capsys, "info", bad)
    code, out, err = run(capsys, "train", bad, "-o", tmp_path / "t.nns")
    assert code == 2 and "input neuron x1 (#1): bad feature expression 'x1^^2'" in err
    doc["neurons"][0]["feature"] = "x9"                           # parses, but no such column
    bad.write_text(json.dumps(doc), encoding="utf-8")
    code, out, _ = run(capsys, "check", bad)
    assert code == 1 and "input x1: feature 'x9' uses column 'x9', which xor.csv does not have" in out
    doc["neurons"][0]["feature"] = "x1^2*x2"                       # a good expression
    bad.write_text(json.dumps(doc), encoding="utf-8")
    assert ok(capsys, "check", bad).startswith("no problems")


def test_unknown_commands_and_absurd_sizes(capsys, samples, tmp_path):
    code, out, err = run(capsys, "trian", "x.nns")
    assert code == 2 and out == ""
    assert err.startswith("nnstudio: unknown command 'trian' (did you mean 'train'?)")
    code, _, err = run(capsys, "bogus")
    assert code == 2 and "unknown command 'bogus'; the commands are new, train" in err
    for layers, why in (("2,,1", "has an empty layer size"), ("2,1,", "has an empty layer size"),
                        ("4,100000,3", "100,007 neurons; nnstudio builds at most 100,000"),
                        ("2000,2000", "4,000,000 connections")):
        code, _, err = run(capsys, "new", tmp_path / "n.nns", "--layers", layers)
        assert code == 2 and why in err, (layers, err)
    assert not (tmp_path / "n.nns").exists()
    code, _, err = run(capsys, "train", samples / "xor.nns", "--epochs", "10000001", "-o", tmp_path / "t.nns")
    assert code == 2 and "more than the 10,000,000 epochs" in err
    doc = json.loads((samples / "xor.nns").read_text(encoding="utf-8"))
    doc["settings"]["epochs"] = 10**30
    (samples / "huge.nns").write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = run(capsys, "train", samples / "huge.nns", "-o", tmp_path / "t.nns")
    assert code == 2 and "1,000,000,000,000,000,000,000,000,000,000 epochs" in err
    assert "give --epochs N" in err
    ok(capsys, "train", samples / "huge.nns", "--epochs", "2", "-q", "-o", tmp_path / "t.nns")


def test_early_stopping_without_validation_rows_says_so(capsys, samples, tmp_path):
    doc = json.loads((samples / "xor.nns").read_text(encoding="utf-8"))
    doc["settings"]["early_stop_patience"] = 5
    (samples / "es.nns").write_text(json.dumps(doc), encoding="utf-8")
    out = ok(capsys, "train", samples / "es.nns", "--epochs", "2", "-q", "-o", tmp_path / "a.nns")
    assert out.splitlines()[0] == (
        "warning: early stopping (patience 5 epochs) watches the validation cost, but the split "
        "1/0/0 has no validation rows: it is off for this run (give --split with a validation part)")
    out = ok(capsys, "train", samples / "es.nns", "--epochs", "2", "-q", "--split", "0.8,0.2",
             "-o", tmp_path / "b.nns")
    assert "warning" not in out


def test_predict_ignores_a_target_column_it_does_not_need(capsys, samples, tmp_path):
    trained = tmp_path / "xor.nns"
    ok(capsys, "train", samples / "xor.nns", "-o", trained, "-q")
    new = tmp_path / "new.csv"
    new.write_text("x1,x2,label\n0,0,0\n0,1,maybe\n1,0,\n1,1,2\n", encoding="utf-8")
    out = ok(capsys, "predict", trained, "--data", new, "-o", "-")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["x1", "x2", "label", "p_0", "p_1", "predicted_label"]
    assert [r[-1] for r in rows[1:]] == ["0", "1", "1", "0"]
    assert [r[2] for r in rows[1:]] == ["0", "maybe", "", "2"]     # kept as they were
    code, _, err = run(capsys, "eval", trained, "--data", new)     # eval needs them
    assert code == 2 and "new.csv line 4, column 'label': the target value is missing" in err
    new.write_text("x1,x2,label\n0,0,0\n0,1,maybe\n", encoding="utf-8")
    code, _, err = run(capsys, "eval", trained, "--data", new)
    assert code == 2 and "line 3, column 'label': class 'maybe' is not one of the network's" in err


# ---------------------------------------------------------------------- real entry point
def test_the_installed_entry_point_runs_headless(samples, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(CLI + ["train", "xor.nns", "-o", str(tmp_path / "x.nns")], cwd=samples,
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "accuracy 100.0%" in proc.stdout.splitlines()[-2] and proc.stderr == ""
    proc = subprocess.run([sys.executable, "-m", "nnstudio", "eval", str(tmp_path / "x.nns"), "--json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["accuracy"] == 1.0
    proc = subprocess.run([sys.executable, "-m", "nnstudio", "gradcheck", str(samples / "xor.nns"),
                           "--threshold", "0"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1 and "FAILED" in proc.stdout
    # the command line never loads Qt
    code = ("import sys; from nnstudio.cli import main; main(['info', sys.argv[1]]); "
            "print(any(m.split('.')[0] in ('PySide6', 'pyqtgraph') for m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, str(samples / "xor.nns")],
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().endswith("False"), proc.stdout


def test_a_typo_goes_to_the_command_line_not_the_app(tmp_path):
    """'nnstudio trian' used to open the app (which aborts without a display)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY",
                                                            "QT_QPA_PLATFORM")}
    for argv in (["trian", "x.nns"], ["bogus"]):
        proc = subprocess.run(CLI + argv, cwd=tmp_path, capture_output=True, text=True,
                              timeout=60, env=env)
        assert proc.returncode == 2 and proc.stdout == "", proc.stderr
        assert proc.stderr.startswith(f"nnstudio: unknown command '{argv[0]}'"), proc.stderr
    assert "(did you mean 'train'?)" in subprocess.run(
        [sys.executable, "-m", "nnstudio", "trian"], capture_output=True, text=True,
        timeout=60, env=env).stderr


def test_which_arguments_open_the_app(tmp_path):
    from nnstudio.__main__ import HEADLESS_COMMANDS, wants_gui

    assert HEADLESS_COMMANDS == cli.COMMANDS
    (tmp_path / "noext").write_text("", encoding="utf-8")
    for argv in ([], ["net.nns"], ["DATA.CSV"], ["--screenshot", "x.png"], [str(tmp_path / "noext")]):
        assert wants_gui(argv), argv
    for argv in (["train", "x.nns"], ["-h"], ["--version"], ["trian"], ["bogus", "x.nns"]):
        assert not wants_gui(argv), argv


# ------------------------------------------------------------------- example networks
def test_make_networks_rewrites_every_example_byte_for_byte(tmp_path):
    proc = subprocess.run([sys.executable, str(SAMPLES / "make_networks.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    written = sorted(p.name for p in tmp_path.glob("*.nns"))
    assert written == sorted(p.name for p in SAMPLES.glob("*.nns"))
    for name in written:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


def test_examples_are_bound_by_relative_paths_and_documented():
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for name in EXAMPLES:
        doc = json.loads((SAMPLES / f"{name}.nns").read_text(encoding="utf-8"))
        path = doc["data"]["path"]
        assert "/" not in path and (SAMPLES / path).exists(), (name, path)
        assert doc["history"] == [] and doc["state"] is None
        assert f"`{name}.nns`" in readme, name
    poly = json.loads((SAMPLES / "polynomial.nns").read_text(encoding="utf-8"))
    assert [n["feature"] for n in poly["neurons"] if n["role"] == "input"] == \
        ["x"] + [f"x^{d}" for d in range(2, 10)]


def test_the_builtin_sample_ships_in_the_package():
    import nnstudio

    folder = pathlib.Path(nnstudio.__file__).parent / "samples"
    assert (folder / "xor.csv").read_bytes() == (SAMPLES / "xor.csv").read_bytes()
    doc = json.loads((folder / "xor.nns").read_text(encoding="utf-8"))
    assert doc["data"]["path"] == "xor.csv"
    sample = json.loads((SAMPLES / "xor.nns").read_text(encoding="utf-8"))
    assert doc == sample                                           # the same example network
    project = load_project(folder / "xor.nns")
    assert project.data.path == str(folder / "xor.csv")


# ------------------------------------------------------------------------ documentation
def _documented_commands() -> list[tuple[str, str]]:
    """(command, output) pairs from the console blocks of docs/cli.md."""
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    pairs = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            pairs.append((command.strip(), output))
    return pairs


def _normalized(text: str) -> str:
    return re.sub(r"in \d+\.\d+ s", "in X s", text).rstrip()


def test_the_documented_walkthrough_runs_with_the_documented_output(capsys, tmp_path, monkeypatch):
    """docs/cli.md's console blocks, run in a copy of the repository's sample_data (in
    process: the entry point itself is proved above), print exactly what the page shows."""
    pairs = _documented_commands()
    assert len(pairs) >= 10
    used = {cmd.split()[1] for cmd, _ in pairs if cmd.startswith("nnstudio ")}
    assert {"new", "train", "eval", "predict", "solve", "gradcheck", "check", "info"} <= used
    work = tmp_path / "repo"
    shutil.copytree(SAMPLES, work / "sample_data", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.chdir(work)
    for command, expected in pairs:
        argv = command.split()
        if argv[0] == "head":                                     # head -N FILE
            lines = pathlib.Path(argv[2]).read_text(encoding="utf-8").splitlines(keepends=True)
            shown = "".join(lines[:int(argv[1][1:])])
        else:
            assert argv[0] == "nnstudio", command
            cli.main(argv[1:])
            out, err = capsys.readouterr()
            shown = out + err
        assert _normalized(shown) == _normalized(expected), command
