"""The network file: exact round trips, located errors for broken files, atomic saves, schema."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import pickle
import random
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core import fileformat as ff
from nnstudio.core.fileformat import (EXTENSION, FORMAT, FORMAT_VERSION, FileFormatError,
                                      dumps_project, load_project, loads_project,
                                      project_from_dict, project_to_dict, save_project)
from nnstudio.core.graph import ACTIVATIONS, LOSSES, ROLES, Network, Neuron, layered
from nnstudio.core.settings import (INITIALIZATIONS, OPTIMIZERS, PRECISIONS, DataBinding,
                                    EpochRecord, Project, TrainingSettings)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "resources" / "network.schema.json"
DOC_PATH = ROOT / "docs" / "file-format.md"

SPECIAL = [0.1, 1e-300, -2.5e17, 5e-324, -0.0, 1.7976931348623157e308, 1 / 3]


# ---------------------------------------------------------------------------- helpers
def rich_project(folder: Path) -> Project:
    """A layered softmax classifier with random weights, a skip connection, some
    connections removed, a deleted neuron (so next_id > max id + 1), derived features,
    classes, a scaler, history and a nested training state."""
    rng = random.Random(20240607)
    net = layered([3, 4, 3, 3], hidden="relu", output="softmax", feature_names=["x", "x^2", "x1*x2"])
    extra = net.add_neuron("hidden", label="σ₁ extra", activation="sigmoid", x=80.5, y=-12.25)
    net.remove_neuron(extra.id)                       # its id is never reused
    ids = [n.id for n in net.neurons()]
    net.remove_connection(ids[0], ids[3])             # partial connections
    net.remove_connection(ids[5], ids[8])
    net.add_connection(ids[1], ids[11], 0.0)          # skip: input -> output
    for i, conn in enumerate(net.connections()):
        value = SPECIAL[i] if i < len(SPECIAL) else rng.gauss(0, 1)
        net.set_weight(conn.source, conn.target, value)
    for n in net.neurons():
        if n.role != "input":
            net.update_neuron(n.id, bias=rng.uniform(-1, 1))
        net.move_neuron(n.id, n.x + rng.random(), n.y - rng.random())
    for n, cls in zip(net.outputs(), ["setosa", "versicolor", "virginica"]):
        net.update_neuron(n.id, target=cls)
    settings = TrainingSettings(optimizer="adam", learning_rate=0.003, epochs=250, batch_size=32,
                                l2=1e-4, seed=7, precision="float32", split=(0.7, 0.15, 0.15),
                                standardize=True, target_cost=0.01, early_stop_patience=10)
    data = DataBinding(path=str(folder / "data" / "iris.csv"), target="species",
                       task="classification", classes=["setosa", "versicolor", "virginica"],
                       scaler={"mean": [5.84, 0.1, -2.5e17], "std": [0.83, 1e-300, 1.0]})
    history = [EpochRecord(epoch=e, step=8 * e, train_cost=1.1 / e, val_cost=1.2 / e if e > 1 else None,
                           train_accuracy=0.3 + e / 10, val_accuracy=None) for e in range(1, 6)]
    state = {
        "epoch": 5, "step": 40,
        "optimizer": {"name": "adam", "t": 40,
                      "m": [[0.1, -2.5e17, 1e-300], [], [[1, 2], [3.5]]],
                      "v": [[5e-324, 0.0], [-0.0]]},
        "rng": np.random.default_rng(12345).bit_generator.state,   # 128-bit integers
        "flags": [True, False, None, "text with \"quotes\" and ünïcödé"],
        "weird keys": {"": 1, "a.b": 2, "[0]": 3},
    }
    return Project(network=net, settings=settings, data=data, history=history, state=state,
                   notes="Lab 3 — σ(z)\nsecond line")


def small_dict() -> dict:
    """A valid file, as plain data: x1, x2 -> h1, h2 -> y1."""
    net = layered([2, 2, 1], output="sigmoid")
    for i, conn in enumerate(net.connections()):
        net.set_weight(conn.source, conn.target, 0.25 * (i + 1))
    return project_to_dict(Project(network=net, history=[EpochRecord(1, 1, 0.5), EpochRecord(2, 2, 0.4)],
                                   state={"m": [0.0, 1.0]}))


def assert_same_project(a: Project, b: Project) -> None:
    assert a.network.same_as(b.network)
    assert a.network.next_id == b.network.next_id
    for ca, cb in zip(a.network.connections(), b.network.connections()):
        assert math.copysign(1, ca.weight) == math.copysign(1, cb.weight)   # -0.0 stays -0.0
    assert a.settings == b.settings
    assert a.data == b.data
    assert a.history == b.history
    assert a.state == b.state
    assert a.notes == b.notes


# ------------------------------------------------------------------------ round trips
def test_constants():
    assert (FORMAT, FORMAT_VERSION, EXTENSION) == ("nnstudio-network", 1, ".nns")
    assert issubclass(FileFormatError, ValueError)


def test_rich_project_round_trip_is_exact(tmp_path):
    project = rich_project(tmp_path)
    path = tmp_path / "iris.nns"
    save_project(project, path)
    loaded = load_project(path)
    assert_same_project(project, loaded)
    assert loaded.network.next_id == 15                  # the deleted neuron's id 14 is not reused
    assert {c.weight for c in loaded.network.connections()} >= {0.1, 1e-300, -2.5e17, 5e-324}
    assert [n.feature for n in loaded.network.inputs()] == ["x", "x^2", "x1*x2"]
    assert loaded.network.has_connection(2, 12)          # the skip connection
    # saving what was loaded writes the very same bytes
    again = tmp_path / "again.nns"
    save_project(loaded, again)
    assert again.read_bytes() == path.read_bytes()


def test_file_is_readable_plain_json(tmp_path):
    project = rich_project(tmp_path)
    path = tmp_path / "iris.nns"
    save_project(project, path)
    text = path.read_text("utf-8")
    raw = json.loads(text)
    assert raw["format"] == FORMAT and raw["version"] == FORMAT_VERSION
    assert raw == json.loads(dumps_project(project, str(tmp_path)))
    # one line per connection, numbers in shortest round-trip form
    assert '{"source": 2, "target": 4, "weight": 0.1}' in text
    assert "1e-300" in text and "-2.5e+17" in text and "NaN" not in text
    assert "σ(z)" in text                                 # UTF-8, not \u escapes
    assert raw["settings"] == project.settings.to_dict()


def test_dataset_path_written_relative_and_resolved_back(tmp_path):
    project = rich_project(tmp_path)
    save_project(project, tmp_path / "iris.nns")
    raw = json.loads((tmp_path / "iris.nns").read_text("utf-8"))
    assert raw["data"]["path"] == "data/iris.csv"
    loaded = load_project(tmp_path / "iris.nns")
    assert loaded.data.path == str(tmp_path / "data" / "iris.csv")
    assert os.path.isabs(loaded.data.path)


def test_dataset_in_a_sibling_folder(tmp_path):
    (tmp_path / "work").mkdir()
    project = Project(network=layered([1, 1]), data=DataBinding(str(tmp_path / "shared" / "x.csv"), "y"))
    save_project(project, tmp_path / "work" / "net.nns")
    raw = json.loads((tmp_path / "work" / "net.nns").read_text("utf-8"))
    assert raw["data"]["path"] == "../shared/x.csv"
    assert load_project(tmp_path / "work" / "net.nns").data.path == str(tmp_path / "shared" / "x.csv")


def test_moved_folder_still_finds_its_csv(tmp_path):
    src = tmp_path / "a"
    (src / "data").mkdir(parents=True)
    (src / "data" / "points.csv").write_text("x,y\n1,2\n")
    project = Project(network=layered([1, 2, 1]), data=DataBinding(str(src / "data" / "points.csv"), "y"))
    save_project(project, src / "net.nns")
    dst = tmp_path / "elsewhere" / "b"
    shutil.move(str(src), str(dst))
    loaded = load_project(dst / "net.nns")
    assert loaded.data.path == str(dst / "data" / "points.csv")
    assert os.path.exists(loaded.data.path)


def test_relative_path_kept_without_base_dir():
    project = Project(network=layered([1, 1]), data=DataBinding("data/x.csv", "y"))
    data = project_to_dict(project)
    assert data["data"]["path"] == "data/x.csv"
    assert project_from_dict(data).data.path == "data/x.csv"
    assert project_from_dict(data, base_dir="/some/where").data.path == os.path.normpath("/some/where/data/x.csv")


def test_half_built_networks_save_and_load(tmp_path):
    nets = []
    nets.append(Network())                                            # empty
    net = Network("cross_entropy")
    net.add_neuron("output", activation="softmax")                     # lone softmax output
    net.add_neuron("hidden", activation="softmax")                     # softmax on a hidden neuron
    nets.append(net)
    net = layered([2, 3, 1])
    net.add_neuron("output")                                           # unconnected output
    net.add_neuron("hidden")                                           # dangling hidden neuron
    net.set_loss("bce")                                                # loss that does not match yet
    nets.append(net)
    for i, net in enumerate(nets):
        assert i == 0 or net.errors()                                  # really broken for training
        path = tmp_path / f"half{i}.nns"
        save_project(Project(network=net), path)
        loaded = load_project(path)
        assert loaded.network.same_as(net)
        assert [p.code for p in loaded.network.validate()] == [p.code for p in net.validate()]


def test_non_finite_history_values_survive(tmp_path):
    history = [EpochRecord(1, 1, 0.5, val_cost=math.inf), EpochRecord(2, 2, math.nan, val_cost=-math.inf)]
    save_project(Project(network=layered([1, 1]), history=history), tmp_path / "div.nns")
    raw = json.loads((tmp_path / "div.nns").read_text("utf-8"))
    assert raw["history"][1]["train_cost"] == "NaN" and raw["history"][0]["val_cost"] == "Infinity"
    loaded = load_project(tmp_path / "div.nns").history
    assert loaded[0].val_cost == math.inf and loaded[1].val_cost == -math.inf
    assert math.isnan(loaded[1].train_cost)


def test_numpy_scalars_in_typed_fields_are_saved_as_plain_numbers(tmp_path):
    history = [EpochRecord(np.int64(1), np.int64(10), np.float32(0.5), val_cost=np.float64(0.25))]
    data = DataBinding(str(tmp_path / "x.csv"), "y", scaler={"mean": np.array([1.5, 2.0]), "std": np.array([1.0, 0.5])})
    save_project(Project(network=layered([2, 1]), history=history, data=data), tmp_path / "np.nns")
    loaded = load_project(tmp_path / "np.nns")
    assert loaded.history == [EpochRecord(1, 10, 0.5, 0.25)]
    assert loaded.data.scaler == {"mean": [1.5, 2.0], "std": [1.0, 0.5]}


def test_loads_and_dumps_and_bom():
    project = Project(network=layered([2, 2, 1]))
    text = dumps_project(project)
    assert loads_project(text).network.same_as(project.network)
    assert loads_project(b"\xef\xbb\xbf" + text.encode("utf-8")).network.same_as(project.network)


def test_project_from_dict_copies_and_does_not_modify_its_input():
    data = small_dict()
    before = copy.deepcopy(data)
    project = project_from_dict(data)
    assert data == before
    project.state["m"].append(2.0)
    assert data["state"]["m"] == [0.0, 1.0]


def test_optional_fields_take_defaults():
    data = {"format": FORMAT, "version": 1, "loss": "bce",
            "neurons": [{"id": 1, "role": "input"}, {"id": 2.0, "role": "output"}],
            "connections": [{"source": 1, "target": 2}]}
    project = project_from_dict(data)
    x, y = project.network.neurons()
    assert (x.label, x.activation, y.label, y.activation) == ("x1", "identity", "y1", "sigmoid")
    assert y.id == 2 and isinstance(y.id, int) and y.bias == 0.0
    assert project.network.connection(1, 2).weight == 0.0
    assert project.settings == TrainingSettings() and project.data is None
    assert project.history == [] and project.state is None and project.notes == ""
    assert project.network.next_id == 3


@pytest.mark.parametrize("next_id, expected", [(None, 6), (0, 6), (3, 6), (6, 6), (50, 50)])
def test_next_id_repaired_or_kept(next_id, expected):
    data = small_dict()
    if next_id is None:
        del data["next_id"]
    else:
        data["next_id"] = next_id
    assert project_from_dict(data).network.next_id == expected


def test_large_network_round_trip_is_fast(tmp_path):
    net = layered([784, 64, 10], output="softmax")
    rng = np.random.default_rng(0)
    weights = {c.key: float(w) for c, w in zip(net.connections(), rng.normal(size=len(net.connections())))}
    net.set_parameters(weights, {})
    save_project(Project(network=net), tmp_path / "mnist.nns")
    assert load_project(tmp_path / "mnist.nns").network.same_as(net)


def test_migration_hook_upgrades_older_versions(monkeypatch):
    old = small_dict()
    old["version"] = 0
    old["nodes"] = old.pop("neurons")
    with pytest.raises(FileFormatError, match=r"version: unknown version 0 \(this nnstudio reads versions 1 to 1\)"):
        project_from_dict(old, source="old.nns")

    def upgrade(data):
        data["neurons"] = data.pop("nodes")
        data["version"] = 1
        return data

    monkeypatch.setitem(ff.MIGRATIONS, 0, upgrade)
    project = project_from_dict(old)
    assert project.network.same_as(project_from_dict(small_dict()).network)
    assert "nodes" in old                                 # the caller's data is not modified


# ------------------------------------------------------------------- malformed files
def mutate(fn):
    data = small_dict()
    fn(data)
    return json.dumps(data, indent=1).encode("utf-8")


def replace_text(old, new, count=1):
    text = json.dumps(small_dict(), indent=1)
    assert old in text
    return text.replace(old, new, count).encode("utf-8")


def _set(path, value):
    def fn(data):
        *head, last = path
        target = data
        for key in head:
            target = target[key]
        target[last] = value
    return fn


def _del(*path):
    def fn(data):
        *head, last = path
        target = data
        for key in head:
            target = target[key]
        del target[last]
    return fn


def _add_conn(source, target, weight=1.0):
    return lambda d: d["connections"].append({"source": source, "target": target, "weight": weight})


def _cycle(d):
    d["neurons"].append({"id": 6, "role": "hidden", "label": "h3", "activation": "tanh"})
    d["connections"] += [{"source": 3, "target": 4}, {"source": 4, "target": 6}, {"source": 6, "target": 3}]


_valid_text = json.dumps(small_dict(), indent=1)

BAD_FILES = {
    "empty file": (b"", ["the file is empty"]),
    "only whitespace": (b" \n\t\n", ["the file is empty"]),
    "not JSON": (b"this is not json", ["line 1, column 1", "not valid JSON"]),
    "truncated JSON": (_valid_text[: len(_valid_text) // 2].encode(), ["line ", "column ", "cut off"]),
    "trailing garbage": ((_valid_text + "\n{}").encode(), ["line ", "Extra data"]),
    "control character in text": (replace_text('"x1"', '"x\x011"'), ["line ", "Invalid control character"]),
    "JSON array at top level": (b"[1, 2, 3]", ["top level", "expected an object, got an array"]),
    "wrong format marker": (mutate(_set(["format"], "keras-model")), ["format:", "keras-model", "not an nnstudio network file"]),
    "missing format marker": (mutate(_del("format")), ["top level", "'format'"]),
    "missing version": (mutate(_del("version")), ["top level", "'version'"]),
    "version is text": (mutate(_set(["version"], "1")), ["version:", "whole number"]),
    "version 99": (mutate(_set(["version"], 99)), ["version: made by a newer nnstudio (version 99); this one reads up to 1"]),
    "version 0": (mutate(_set(["version"], 0)), ["version:", "unknown version 0"]),
    "unknown top-level field": (mutate(_set(["neurones"], [])), ["neurones", "did you mean 'neurons'"]),
    "unknown loss": (mutate(_set(["loss"], "hinge")), ["loss:", "hinge", "cross_entropy"]),
    "next_id negative": (mutate(_set(["next_id"], -1)), ["next_id", "at least 0"]),
    "missing neurons": (mutate(_del("neurons")), ["top level", "missing required field 'neurons'"]),
    "neurons not an array": (mutate(_set(["neurons"], {"1": "input"})), ["neurons:", "expected an array, got an object"]),
    "neuron not an object": (mutate(_set(["neurons", 1], 7)), ["neurons[1]:", "expected an object"]),
    "neuron missing id": (mutate(_del("neurons", 2, "id")), ["neurons[2]:", "missing required field 'id'"]),
    "id not an integer": (mutate(_set(["neurons", 2, "id"], 3.5)), ["neurons[2].id", "whole number", "3.5"]),
    "id is text": (mutate(_set(["neurons", 2, "id"], "3")), ["neurons[2].id", "whole number", '"3"']),
    "id negative": (mutate(_set(["neurons", 2, "id"], -3)), ["neurons[2].id", "at least 0"]),
    "duplicate ids": (mutate(_set(["neurons", 3, "id"], 3)), ["neurons[3].id", "#3", "already used by neurons[2]"]),
    "unknown neuron field": (mutate(_set(["neurons", 0, "biass"], 1.0)), ["neurons[0].biass", "did you mean 'bias'"]),
    "unknown role": (mutate(_set(["neurons", 2, "role"], "hiden")), ["neurons[2].role", "hiden", "input, hidden, output"]),
    "unknown activation": (mutate(_set(["neurons", 2, "activation"], "sigmod")), ["neurons[2].activation", "sigmod"]),
    "activation not text": (mutate(_set(["neurons", 2, "activation"], 3)), ["neurons[2].activation", "as text, got the number 3"]),
    "bias NaN token": (replace_text('"bias": 0.0', '"bias": NaN'), ["neurons[0].bias", "NaN is not allowed"]),
    "bias is text": (mutate(_set(["neurons", 2, "bias"], "0.5")), ["neurons[2].bias", "expected a number", '"0.5"']),
    "bias is true": (mutate(_set(["neurons", 2, "bias"], True)), ["neurons[2].bias", "expected a number, got true"]),
    "position overflows": (replace_text('"x": 0.0', '"x": 1e999'), ["neurons[0].x", "not finite"]),
    "label not text": (mutate(_set(["neurons", 1, "label"], ["x"])), ["neurons[1].label", "text or null"]),
    "lone surrogate in label": (replace_text('"x1"', '"\\ud800"'), ["neurons[0].label", "surrogate", "\\ud800"]),
    "duplicate JSON key": (replace_text('"bias": 0.0,', '"bias": 0.0, "bias": 1.0,'), ["neurons[0]", '"bias" occurs more than once']),
    "missing connections": (mutate(_del("connections")), ["missing required field 'connections'"]),
    "weight Infinity token": (replace_text('"weight": 0.5', '"weight": Infinity'), ["connections[1].weight", "Infinity is not allowed"]),
    "weight -Infinity token": (replace_text('"weight": 0.5', '"weight": -Infinity'), ["connections[1].weight", "-Infinity"]),
    "weight is null": (mutate(_set(["connections", 0, "weight"], None)), ["connections[0].weight", "got null"]),
    "weight huge integer": (replace_text('"weight": 0.5', '"weight": 1' + "0" * 400), ["connections[1].weight", "too large"]),
    "connection missing target": (mutate(_del("connections", 0, "target")), ["connections[0]:", "'target'"]),
    "connection to a missing neuron": (mutate(_add_conn(3, 99)), ["connections[6].target", "no neuron #99"]),
    "connection from a missing neuron": (mutate(_add_conn(42, 5)), ["connections[6].source", "no neuron #42"]),
    "duplicate connection": (mutate(_add_conn(1, 3)), ["connections[6]:", "x1 (#1) -> h1 (#3)", "already connections[0]"]),
    "self loop": (mutate(_add_conn(3, 3)), ["connections[6]:", "h1 (#3)", "itself"]),
    "connection into an input": (mutate(_add_conn(3, 1)), ["connections[6]:", "h1 (#3) -> x1 (#1)", "into an input"]),
    "connection out of an output": (mutate(_add_conn(5, 3)), ["connections[6]:", "y1 (#5)", "leaves an output"]),
    "two-neuron cycle": (mutate(lambda d: d["connections"].extend([{"source": 3, "target": 4}, {"source": 4, "target": 3}])),
                         ["connections[7]", "cycle", "h1 (#3) -> h2 (#4) -> h1 (#3)"]),
    "three-neuron cycle": (mutate(_cycle), ["connections[8]", "cycle", "h1 (#3) -> h2 (#4) -> h3 (#6) -> h1 (#3)"]),
    "settings not an object": (mutate(_set(["settings"], [0.1])), ["settings:", "expected an object"]),
    "bad learning rate": (mutate(_set(["settings", "learning_rate"], -0.5)), ["settings:", "learning rate must be positive", "-0.5"]),
    "learning rate is text": (mutate(_set(["settings", "learning_rate"], "fast")), ["settings.learning_rate", "expected a number"]),
    "epochs fractional": (mutate(_set(["settings", "epochs"], 1.5)), ["settings.epochs", "whole number"]),
    "unknown optimizer": (mutate(_set(["settings", "optimizer"], "lbfgs")), ["settings:", "lbfgs"]),
    "split not summing to 1": (mutate(_set(["settings", "split"], [0.5, 0.3, 0.1])), ["settings:", "split", "add up to 1"]),
    "split of two": (mutate(_set(["settings", "split"], [0.5, 0.5])), ["settings.split", "3 fractions"]),
    "unknown setting": (mutate(_set(["settings", "learnig_rate"], 0.1)), ["settings.learnig_rate", "unknown setting", "did you mean 'learning_rate'"]),
    "standardize not a boolean": (mutate(_set(["settings", "standardize"], 1)), ["settings.standardize", "true or false"]),
    "data missing target": (mutate(_set(["data"], {"path": "x.csv"})), ["data:", "'target'"]),
    "data path empty": (mutate(_set(["data"], {"path": "", "target": "y"})), ["data.path", "empty"]),
    "data unknown task": (mutate(_set(["data"], {"path": "x.csv", "target": "y", "task": "clustering"})), ["data.task", "clustering"]),
    "data classes repeated": (mutate(_set(["data"], {"path": "x.csv", "target": "y", "classes": ["a", "b", "a"]})), ["data.classes[2]", "twice"]),
    "scaler lengths differ": (mutate(_set(["data"], {"path": "x.csv", "target": "y", "scaler": {"mean": [0.0], "std": []}})), ["data.scaler", "mean has 1"]),
    "scaler negative std": (mutate(_set(["data"], {"path": "x.csv", "target": "y", "scaler": {"mean": [0.0], "std": [-1]}})), ["data.scaler.std[0]", "must be > 0"]),
    "scaler zero std": (mutate(_set(["data"], {"path": "x.csv", "target": "y", "scaler": {"mean": [0.0], "std": [0.0]}})), ["data.scaler.std[0]", "must be > 0"]),
    "history not an array": (mutate(_set(["history"], {"epoch": 1})), ["history:", "expected an array"]),
    "history entry missing epoch": (mutate(_del("history", 1, "epoch")), ["history[1]:", "missing required field 'epoch'"]),
    "history cost is a boolean": (mutate(_set(["history", 0, "train_cost"], False)), ["history[0].train_cost", "got false"]),
    "history unknown word": (mutate(_set(["history", 0, "train_cost"], "nan")), ["history[0].train_cost", '"nan"']),
    "state not an object": (mutate(_set(["state"], [1, 2, 3])), ["state:", "expected an object, got an array"]),
    "NaN inside the state": (replace_text('"m": [\n   0.0', '"m": [\n   NaN'), ["state.m[0]", "NaN"]),
    "nested too deeply": (b"[" * 100_000 + b"]" * 100_000, ["nested"]),
    "state nested too deeply": (mutate(_set(["state"], {"a": json.loads("[" * 80 + "]" * 80)})), ["state.a", "nested more than 64"]),
    "notes not text": (mutate(_set(["notes"], 3)), ["notes:", "expected text"]),
}
NON_UTF8 = replace_text('"x1"', '"x\\u00e91"').replace(b"\\u00e9", b"\xe9")   # Latin-1 é
BAD_FILES["non-UTF-8 bytes"] = (NON_UTF8, ["not UTF-8", "byte 0xe9", "line "])


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_malformed_file_is_refused_with_a_located_message(tmp_path, name):
    content, expected = BAD_FILES[name]
    path = tmp_path / "broken.nns"
    path.write_bytes(content)
    with pytest.raises(FileFormatError) as info:
        load_project(path)
    message = str(info.value)
    assert type(info.value) is FileFormatError
    assert message.startswith(str(path) + ": ")
    assert "\n" not in message
    message.encode("utf-8")                                 # printable, even for bad text
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


def test_error_has_parts_and_pickles(tmp_path):
    path = tmp_path / "broken.nns"
    path.write_bytes(BAD_FILES["unknown activation"][0])
    with pytest.raises(FileFormatError) as info:
        load_project(path)
    e = info.value
    assert (e.source, e.where) == (str(path), "neurons[2].activation")
    assert "sigmod" in e.what
    again = pickle.loads(pickle.dumps(e))
    assert str(again) == str(e) and again.where == e.where


def test_unreadable_files(tmp_path, monkeypatch):
    with pytest.raises(FileFormatError, match="no such file"):
        load_project(tmp_path / "missing.nns")
    with pytest.raises(FileFormatError, match="folder"):
        load_project(tmp_path)
    path = tmp_path / "big.nns"
    path.write_text(_valid_text)
    monkeypatch.setattr(ff, "MAX_FILE_BYTES", 100)
    with pytest.raises(FileFormatError, match="too large"):
        load_project(path)


def test_random_damage_never_raises_anything_but_file_format_error():
    """Mutate a valid file at random places; every outcome is a project or a FileFormatError."""
    rng = random.Random(1234)
    values = [None, True, False, -1, 0, 1, 7, 2.5, -1e308, 2**70, "", "x", "input", "relu", [], [1],
              {}, {"id": 1}, [[1, 2]], {"a": None}]

    def containers(node):
        yield node
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                yield from containers(child)

    outcomes = {"ok": 0, "error": 0}
    base = small_dict()
    for _ in range(600):
        data = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            node = rng.choice([c for c in containers(data) if c])
            key = rng.choice(list(node) if isinstance(node, dict) else range(len(node)))
            action = rng.random()
            if action < 0.2:
                del node[key]
            elif action < 0.3 and isinstance(node, list):
                node.append(copy.deepcopy(node[key]))
            else:
                node[key] = copy.deepcopy(rng.choice(values))
        try:
            loads_project(json.dumps(data))
            outcomes["ok"] += 1
        except FileFormatError:
            outcomes["error"] += 1
    assert outcomes["error"] > 300 and outcomes["ok"] > 10


def test_every_truncation_and_byte_flip_is_refused_cleanly():
    text = json.dumps(small_dict(), separators=(",", ":")).encode()
    for cut in range(len(text)):
        with pytest.raises(FileFormatError):
            loads_project(text[:cut])
    rng = random.Random(7)
    for _ in range(400):
        damaged = bytearray(text)
        damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            loads_project(bytes(damaged))
        except FileFormatError:
            pass


# ------------------------------------------------------------------------ atomic save
@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "net.nns"
    save_project(Project(network=layered([2, 2, 1])), path)
    return path, path.read_bytes()


def assert_untouched(path, old):
    assert path.read_bytes() == old
    assert os.listdir(path.parent) == [path.name]          # no temporary file left behind


def test_failed_write_leaves_the_old_file_untouched(saved, monkeypatch):
    path, old = saved

    def half_then_disk_full(fd, payload):
        os.write(fd, payload[: len(payload) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ff, "_write_all", half_then_disk_full)
    with pytest.raises(FileFormatError) as info:
        save_project(rich_project(path.parent), path)
    assert str(path) in str(info.value) and "No space left on device" in str(info.value)
    assert isinstance(info.value.__cause__, OSError)
    assert_untouched(path, old)


def test_failed_rename_or_fsync_leaves_the_old_file_untouched(saved, monkeypatch):
    path, old = saved
    for name in ("replace", "fsync"):
        with monkeypatch.context() as m:
            def fail(*args, **kwargs):
                raise OSError(5, "Input/output error")
            m.setattr(ff.os, name, fail)
            with pytest.raises(FileFormatError, match="Input/output error"):
                save_project(Project(network=layered([3, 1])), path)
        assert_untouched(path, old)


def test_interrupt_during_write_removes_the_temporary_file(saved, monkeypatch):
    path, old = saved

    def interrupted(fd, payload):
        os.write(fd, payload[:10])
        raise KeyboardInterrupt

    monkeypatch.setattr(ff, "_write_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_project(Project(network=layered([3, 1])), path)
    assert_untouched(path, old)


@pytest.mark.parametrize("state, where, what", [
    ({"moments": {1, 2}}, "state.moments", "cannot be stored"),
    ({"shape": (3, 2)}, "state.shape", "use a list"),
    ({"m": np.zeros(3)}, "state.m", "ndarray"),
    ({"m": [0.0, math.nan]}, "state.m[1]", "not finite"),
    ({3: "int key"}, "state", "not text"),
])
def test_unsavable_state_is_refused_before_touching_the_file(saved, state, where, what):
    path, old = saved
    with pytest.raises(FileFormatError) as info:
        save_project(Project(network=layered([2, 1]), state=state), path)
    message = str(info.value)
    assert message.startswith(f"{path}: cannot save {where}") and what in message
    assert_untouched(path, old)


def test_non_finite_weight_is_refused_on_save(saved):
    path, old = saved
    net = layered([2, 1])
    net.set_weight(2, 3, math.nan)
    with pytest.raises(FileFormatError, match=r"cannot save connections\[1\]\.weight: the number nan is not finite"):
        save_project(Project(network=net), path)
    assert_untouched(path, old)


def test_saving_into_a_missing_folder(tmp_path):
    path = tmp_path / "no" / "such" / "folder" / "net.nns"
    with pytest.raises(FileFormatError) as info:
        save_project(Project(network=layered([1, 1])), path)
    assert str(path) in str(info.value) and "does not exist" in str(info.value)
    assert not (tmp_path / "no").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_save_keeps_the_permissions_of_the_file_it_replaces(saved):
    path, _ = saved
    os.chmod(path, 0o640)
    save_project(Project(network=layered([3, 1])), path)
    assert (os.stat(path).st_mode & 0o777) == 0o640


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_save_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.nns"
    save_project(Project(network=layered([1, 1])), real)
    link = tmp_path / "link.nns"
    link.symlink_to(real)
    save_project(Project(network=layered([2, 1])), link)
    assert link.is_symlink()
    assert len(load_project(real).network) == 3


# ----------------------------------------------------------------- schema and docs
def doc_example() -> str:
    blocks = re.findall(r"```json\n(.*?)```", DOC_PATH.read_text("utf-8"), re.S)
    return blocks[0]


def test_documented_example_loads(tmp_path):
    project = loads_project(doc_example(), base_dir=str(tmp_path), source="docs")
    net = project.network
    assert [n.label for n in net.neurons()] == ["x1", "x1^2", "h1", "y1"]
    assert net.has_connection(1, 4) and net.connection(2, 3).weight == -1.25
    assert net.errors() == []
    assert project.settings.optimizer == "adam" and project.settings.epochs == 200
    assert project.data.path == str(tmp_path / "data" / "points.csv")
    assert project.history[1].val_accuracy == 0.65
    assert project.state["rng"]["state"] == 123456789


def test_schema_validates_saved_files(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    validator.check_schema(schema)
    half = Network("cross_entropy")
    half.add_neuron("output", activation="softmax")
    divergent = [EpochRecord(1, 1, math.nan, val_cost=math.inf)]
    for i, project in enumerate([rich_project(tmp_path), Project(network=half, history=divergent)]):
        save_project(project, tmp_path / f"{i}.nns")
        validator.validate(json.loads((tmp_path / f"{i}.nns").read_text("utf-8")))
    validator.validate(json.loads(doc_example()))
    bad = small_dict()
    bad["neurons"][0]["role"] = "hiden"
    assert not validator.is_valid(bad)


def test_schema_lists_match_the_code():
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    defs = schema["$defs"]
    assert tuple(schema["properties"]["loss"]["enum"]) == LOSSES
    assert tuple(defs["neuron"]["properties"]["role"]["enum"]) == ROLES
    assert tuple(defs["neuron"]["properties"]["activation"]["anyOf"][1]["enum"]) == ACTIVATIONS
    settings = defs["settings"]["properties"]
    assert tuple(settings["optimizer"]["enum"]) == OPTIMIZERS
    assert tuple(settings["init"]["enum"]) == INITIALIZATIONS
    assert tuple(settings["precision"]["enum"]) == PRECISIONS
    assert tuple(defs["data"]["properties"]["task"]["enum"]) == ff.TASKS
    names = lambda cls: {f.name for f in dataclasses.fields(cls)}
    assert set(settings) == names(TrainingSettings)
    assert set(defs["neuron"]["properties"]) == names(Neuron)
    assert set(defs["data"]["properties"]) == names(DataBinding)
    assert set(defs["epoch"]["properties"]) == names(EpochRecord)
    assert set(schema["properties"]) == set(project_to_dict(Project(network=Network())))


def test_scaler_and_tasks_agree_with_the_data_module(tmp_path):
    data = pytest.importorskip("nnstudio.core.data")
    assert ff.TASKS == (data.REGRESSION, data.CLASSIFICATION)
    X = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 0.1], [2.5, 5.0, -7.0]])
    scaler = data.Standardizer.fit(X)
    binding = DataBinding(str(tmp_path / "x.csv"), "y", scaler=scaler.to_dict())
    save_project(Project(network=layered([3, 1]), data=binding), tmp_path / "s.nns")
    again = data.Standardizer.from_dict(load_project(tmp_path / "s.nns").data.scaler)
    assert np.array_equal(again.mean, scaler.mean) and np.array_equal(again.std, scaler.std)
