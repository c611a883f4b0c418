"""Networks without weights (drawn on the canvas, built by ``graph.layered`` or by edit
commands: every weight 0) are initialized before training, the same way in the command
line and in the app (both call ``workflow.initialize_if_needed``), and ``check``/``info``
warn when all-zero weights will stay symmetric (TOPICS section 5: hidden neurons that
start identical stay identical).

Before the fix, ``nnstudio train`` on such a file sat at cost ln 2 (XOR: 0.693147,
accuracy 50%) or ln 3 (Iris) for ever; these tests fail then and pass now.
"""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pytest

from cli_runner import ok, run

from nnstudio.core.fileformat import load_project, save_project
from nnstudio.core.graph import Network, layered
from nnstudio.core.settings import Project, TrainingSettings
from nnstudio.core.training import initialize
from nnstudio.core.workflow import (
    initialize_if_needed,
    needs_initialization,
    project_problems,
    zero_weight_problem,
)

REPO = pathlib.Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_data"


def zero_weight_file(path, sizes, output, **settings) -> pathlib.Path:
    net = layered(sizes, output=output)
    assert all(c.weight == 0.0 for c in net.connections())      # what the canvas gives too
    save_project(Project(net, TrainingSettings(**settings)), path)
    return path


# ------------------------------------------------------------------------- the function
def test_needs_initialization_only_for_weightless_untrained_networks():
    project = Project(layered([2, 3, 1], output="sigmoid"))
    assert needs_initialization(project)
    assert not needs_initialization(project, TrainingSettings(init="zeros"))
    project.state = {"format": 1}
    assert not needs_initialization(project)                      # training continues as is
    project.state = None
    net = project.network
    net.set_weight(1, 3, 0.25)
    assert not needs_initialization(project)                      # someone set a weight
    assert not needs_initialization(Project(Network()))           # nothing to initialize


def test_initialize_if_needed_is_training_initialize_with_the_settings():
    settings = TrainingSettings(init="he", seed=5)
    project = Project(layered([4, 10, 3], output="softmax"), settings)
    expected = layered([4, 10, 3], output="softmax")
    initialize(expected, "he", 5)
    assert initialize_if_needed(project) is True
    assert project.network.parameters() == expected.parameters()
    assert initialize_if_needed(project) is False                 # it has weights now
    # other settings given explicitly (the command line's overrides) win
    other = Project(layered([4, 10, 3], output="softmax"), settings)
    assert initialize_if_needed(other, settings.with_changes(init="glorot", seed=2))
    initialize(expected, "glorot", 2)
    assert other.network.parameters() == expected.parameters()


def test_initialize_if_needed_keeps_biases_set_by_hand():
    net = Network("mse")
    x = net.add_neuron("input").id
    h1, h2 = net.add_neuron("hidden").id, net.add_neuron("hidden").id
    y = net.add_neuron("output").id
    for s, t in ((x, h1), (x, h2), (h1, y), (h2, y)):
        net.add_connection(s, t)                                  # default weight 0, as drawn
    net.update_neuron(y, bias=1.5)
    project = Project(net)
    assert initialize_if_needed(project)
    weights, biases = net.parameters()
    assert biases[y] == 1.5 and biases[h1] == 0.0
    assert len(set(weights.values())) == 4 and 0.0 not in weights.values()


def test_zero_weight_warning_when_symmetry_will_not_be_broken():
    project = Project(layered([2, 2, 1], output="sigmoid"), TrainingSettings(init="zeros"))
    problem = zero_weight_problem(project)
    assert problem is not None
    assert (problem.code, problem.severity, problem.neurons) == ("zero_weights", "warning", (3, 4))
    assert "h1, h2" in problem.message and "stay identical" in problem.message
    assert problem in project_problems(project)
    # glorot: training will initialize, nothing to warn about
    assert zero_weight_problem(Project(layered([2, 2, 1], output="sigmoid"))) is None
    # no hidden neuron: logistic regression from zeros is fine
    assert zero_weight_problem(Project(layered([2, 1], output="sigmoid"),
                                       TrainingSettings(init="zeros"))) is None
    # weights set: nothing symmetric
    initialize(project.network, "glorot", 0)
    assert zero_weight_problem(project) is None


# ------------------------------------------------------------------- the command line
def test_a_weightless_2_2_1_xor_network_trains_to_100_percent(capsys, tmp_path):
    # 2-2-1 is the smallest XOR network and has local minima: seed 1 is one that works
    # (as any initialized network would with it); without initialization no seed does.
    net = zero_weight_file(tmp_path / "xor221.nns", [2, 2, 1], "sigmoid", optimizer="adam",
                           learning_rate=0.05, epochs=1000, seed=1)
    out = ok(capsys, "train", net, "--data", SAMPLES / "xor.csv", "-q", "-o", tmp_path / "t.nns")
    assert out.splitlines()[0] == \
        "initialized the weights (glorot, seed 1): the network had none yet"
    result = json.loads(ok(capsys, "eval", tmp_path / "t.nns", "--json"))
    assert result["accuracy"] == 1.0 and result["loss"] < 0.05
    trained = load_project(tmp_path / "t.nns").network
    h1, h2 = (n.id for n in trained.hidden())
    assert trained.connection(1, h1).weight != trained.connection(1, h2).weight


def test_a_weightless_iris_network_trains_above_90_percent(capsys, tmp_path):
    net = zero_weight_file(tmp_path / "iris.nns", [4, 10, 3], "softmax", optimizer="adam",
                           learning_rate=0.01, epochs=300, standardize=True)
    out = ok(capsys, "train", net, "--data", SAMPLES / "iris.csv", "-q", "-o", tmp_path / "t.nns")
    assert "initialized the weights (glorot, seed 0)" in out
    cost = float(out.split("cost ")[1].split()[0])
    assert cost < math.log(3) / 2                                 # not stuck at ln 3 = 1.0986
    result = json.loads(ok(capsys, "eval", tmp_path / "t.nns", "--json"))
    assert result["accuracy"] > 0.9


def test_init_option_and_init_zeros_show_the_symmetry(capsys, tmp_path):
    net = zero_weight_file(tmp_path / "z.nns", [2, 2, 1], "sigmoid", init="zeros",
                           optimizer="adam", learning_rate=0.05, epochs=200)
    code, out, err = run(capsys, "check", net)
    assert code == 0 and err == ""
    assert out.splitlines()[0].startswith("warning: every weight is 0 and the initialization "
                                          "is 'zeros': the hidden neurons h1, h2")
    assert out.splitlines()[0].endswith("(neurons #3, #4)")
    assert "1 warning (run 'nnstudio check'); first: every weight is 0" in ok(capsys, "info", net)
    # trained as asked, with zeros: the hidden neurons stay identical, the cost stays ln 2
    out = ok(capsys, "train", net, "--data", SAMPLES / "xor.csv", "-q", "-o", tmp_path / "a.nns")
    assert "initialized" not in out
    sym = load_project(tmp_path / "a.nns").network
    assert sym.connection(1, 3).weight == sym.connection(1, 4).weight
    assert float(out.split("cost ")[1].split()[0]) == pytest.approx(math.log(2), abs=1e-6)
    # --init overrides the file's setting, and is saved with the result
    out = ok(capsys, "train", net, "--data", SAMPLES / "xor.csv", "-q", "--init", "he",
             "--seed", "2", "-o", tmp_path / "b.nns")
    assert out.startswith("initialized the weights (he, seed 2)")
    b = load_project(tmp_path / "b.nns")
    assert b.settings.init == "he" and b.settings.seed == 2
    assert b.network.connection(1, 3).weight != b.network.connection(1, 4).weight
    # with 0 epochs the file holds exactly the initialized weights
    ok(capsys, "train", net, "--data", SAMPLES / "xor.csv", "-q", "--init", "he", "--seed", "2",
       "--epochs", "0", "-o", tmp_path / "c.nns")
    expected = layered([2, 2, 1], output="sigmoid")
    initialize(expected, "he", 2)
    assert load_project(tmp_path / "c.nns").network.parameters() == expected.parameters()


def test_training_from_a_state_never_reinitializes(capsys, tmp_path):
    ok(capsys, "train", SAMPLES / "xor.nns", "--epochs", "3", "-q", "-o", tmp_path / "a.nns")
    out = ok(capsys, "train", tmp_path / "a.nns", "--epochs", "3", "-q", "-o", tmp_path / "b.nns")
    assert "initialized" not in out
    # the sample networks are initialized already: nothing printed either
    assert "initialized" not in ok(capsys, "train", SAMPLES / "xor.nns", "--epochs", "1", "-q",
                                   "-o", tmp_path / "c.nns")


def test_initialization_is_the_same_as_the_app_would_do(tmp_path):
    """The app's training calls the same function on its project: same weights."""
    path = zero_weight_file(tmp_path / "n.nns", [2, 4, 1], "sigmoid", seed=3)
    a, b = load_project(path), load_project(path)
    assert initialize_if_needed(a)
    initialize(b.network, b.settings.init, b.settings.seed)
    assert a.network.same_as(b.network)
    assert np.isfinite(list(a.network.parameters()[0].values())).all()
