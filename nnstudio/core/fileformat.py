"""Network files (``.nns``): one versioned, plain JSON document holding a whole :class:`Project`.

The layout is documented field by field in ``docs/file-format.md`` and as a JSON Schema in
``resources/network.schema.json``. Never pickle, never eval: a file is only ever parsed as
JSON and then checked, so a hostile or damaged file can at worst be refused.

Loading goes in three steps, and nothing outside this module changes until all of them pass:

1. **read and parse**: the bytes must be UTF-8 and at most :data:`MAX_FILE_BYTES`; the JSON
   must be well formed, with no ``NaN``/``Infinity`` tokens and no key repeated in one object;
2. **validate the plain data**: the format marker, the version (older versions go through
   :data:`MIGRATIONS`), then the type and range of every field, the references between
   neurons and connections, and the absence of cycles;
3. **build** the :class:`~nnstudio.core.graph.Network` and the :class:`Project`.

Every problem raises :class:`FileFormatError`, whose one-line message names the file, where
(a JSON path such as ``neurons[3].bias``, or a line and column for broken JSON) and what is
wrong. Problems that are normal while a network is being built (an output nobody feeds, a
loss that does not match the outputs yet) are *not* load errors: a half-built network saves
and loads. Only data no :class:`Network` could ever hold is refused.

Saving converts the project with :func:`project_to_dict`, runs the same validation (so every
file written can be read back), then writes a temporary file next to the target, flushes and
fsyncs it and renames it over the target: the old file is either fully replaced or untouched.
"""

from __future__ import annotations

import codecs
import difflib
import json
import math
import numbers
import os
import secrets
import stat
from dataclasses import dataclass, fields
from typing import Any, Callable

from nnstudio import __version__
from nnstudio.core.graph import ACTIVATIONS, LOSSES, ROLES, Network, NetworkError, find_cycle
from nnstudio.core.settings import (DataBinding, EpochRecord, Project, SettingsError,
                                    TrainingSettings)

__all__ = [
    "FORMAT", "FORMAT_VERSION", "EXTENSION", "MAX_FILE_BYTES", "MIGRATIONS", "TASKS",
    "FileFormatError", "project_to_dict", "project_from_dict", "save_project", "load_project",
    "dumps_project", "loads_project",
]

FORMAT = "nnstudio-network"
FORMAT_VERSION = 1
EXTENSION = ".nns"

#: Files larger than this are refused before they are read.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: Deepest nesting of arrays/objects accepted anywhere (the training state included).
MAX_DEPTH = 64
#: Neuron ids are integers in ``0 .. MAX_ID`` (exact in every JSON reader, doubles included).
MAX_ID = 2**53 - 1
#: What a data binding can be used for (``data.REGRESSION``, ``data.CLASSIFICATION``).
TASKS = ("regression", "classification")

#: Upgrades from older file versions: ``MIGRATIONS[n]`` takes the plain data of a version
#: ``n`` file (already JSON-clean) and returns the data of a version ``n + 1`` file, with
#: ``"version"`` set to ``n + 1``. Version 1 is the first format, so there are none yet.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}

# Fields of each object: (required, optional), in the order they are written.
_TOP_REQUIRED = ("format", "version", "loss", "neurons", "connections")
_TOP_OPTIONAL = ("generator", "notes", "next_id", "settings", "data", "history", "state")
_NEURON_REQUIRED = ("id", "role")
_NEURON_OPTIONAL = ("label", "activation", "bias", "x", "y", "feature", "target")
_CONNECTION_REQUIRED = ("source", "target")
_CONNECTION_OPTIONAL = ("weight",)
_DATA_REQUIRED = ("path", "target")
_DATA_OPTIONAL = ("task", "classes", "scaler")
_SCALER_REQUIRED = ("mean", "std")
_HISTORY_REQUIRED = ("epoch", "step", "train_cost")
_HISTORY_OPTIONAL = ("val_cost", "train_accuracy", "val_accuracy")

#: Type of each training setting in the file. Settings not listed here (added to
#: TrainingSettings later) are passed through and left to TrainingSettings to check.
_SETTING_KINDS = {
    "optimizer": "text", "learning_rate": "number", "epochs": "int", "batch_size": "int?",
    "l1": "number", "l2": "number", "momentum": "number", "beta1": "number", "beta2": "number",
    "epsilon": "number", "init": "text", "seed": "int", "precision": "text", "split": "split",
    "standardize": "bool", "target_cost": "number?", "early_stop_patience": "int?",
}

#: How a non-finite value in the training history is written (a diverged run has cost inf
#: or nan, and that history must still save). JSON itself has no such numbers.
_NONFINITE_TEXT = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class FileFormatError(ValueError):
    """A network file that cannot be read or written.

    ``str(e)`` is one line: ``"<file>: <where>: <what>"``. The parts are also kept as
    attributes ``source``, ``where`` (a JSON path like ``neurons[3].bias``, ``line 4,
    column 17``, or None when the problem is the whole file) and ``what``.
    """

    def __init__(self, source: str, where: str | None, what: str) -> None:
        self.source, self.where, self.what = source, where, what
        text = ": ".join(str(p) for p in (source, where, what) if p)
        text = " ".join(text.replace("\r", "\n").split("\n"))
        # printable everywhere: lone surrogates (from \ud800 escapes, or undecodable
        # file names) are shown as escapes instead of making the message unencodable
        super().__init__(text.encode("utf-8", "backslashreplace").decode("utf-8"))

    def __reduce__(self):
        return (type(self), (self.source, self.where, self.what))


class _Bad(Exception):
    """A problem found in the plain data; becomes a FileFormatError once the file is known."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(where, what)
        self.where, self.what = where, what


# ------------------------------------------------------------------ plain-data helpers
class _NonFinite:
    """What the parser puts where the JSON had NaN/Infinity, so the checker can say where."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


class _DuplicateKeys(dict):
    """An object in which a key occurred twice (the checker reports it with its path)."""

    duplicate: str = ""


def _object_hook(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    marked = _DuplicateKeys(obj)
    for key, _ in pairs:
        if key in seen:
            marked.duplicate = key
            break
        seen.add(key)
    return marked


def _key_path(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _where(path: str) -> str:
    return path or "top level"


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _NonFinite):
        return value.token
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {_short(value)}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return f"a Python {type(value).__name__}"


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Bad(where, f"text {_short(text)} holds an unpaired surrogate escape "
                          "(not a valid character)") from None


def _check_tree(root: Any) -> None:
    """Check that ``root`` is plain JSON data nnstudio accepts, in document order:
    dicts with text keys, lists, text, integers, finite floats, true/false, null; no key
    twice in one object; at most :data:`MAX_DEPTH` levels deep."""
    stack: list[tuple[Any, str, int]] = [(root, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if value is None or isinstance(value, (bool, int)):
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                raise _Bad(_where(path), f"the number {value!r} is not finite (numbers must be finite)")
            continue
        if isinstance(value, str):
            _check_text(value, _where(path))
            continue
        if isinstance(value, _NonFinite):
            raise _Bad(_where(path), f"{value.token} is not allowed: numbers must be finite")
        if depth >= MAX_DEPTH and isinstance(value, (dict, list)):
            raise _Bad(_where(path), f"data nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            if isinstance(value, _DuplicateKeys):
                raise _Bad(_where(path), f"the key {_short(value.duplicate)} occurs more than once")
            children = []
            for key, child in value.items():
                if not isinstance(key, str):
                    raise _Bad(_where(path), f"key {key!r} is not text (object keys must be strings)")
                _check_text(key, _where(path))
                children.append((child, _key_path(path, key), depth + 1))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([(child, f"{path}[{i}]", depth + 1) for i, child in enumerate(value)]))
        else:
            hint = " (use a list)" if isinstance(value, tuple) else ""
            raise _Bad(_where(path), f"{_describe(value)} cannot be stored: only objects, arrays, "
                                     f"text, numbers, true/false and null{hint}")


def _plain_copy(value: Any) -> Any:
    """A deep copy of checked plain JSON data (lists and dicts are fresh)."""
    if isinstance(value, dict):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_copy(v) for v in value]
    return value


# --------------------------------------------------------------------- field checks
def _obj(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise _Bad(_where(path), f"expected an object, got {_describe(value)}")
    return value


def _array(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise _Bad(_where(path), f"expected an array, got {_describe(value)}")
    return value


def _fields(obj: dict, path: str, required: tuple[str, ...], optional: tuple[str, ...] = (),
            noun: str = "field") -> None:
    known = required + optional
    for key in obj:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"expected {', '.join(known)}"
            raise _Bad(_key_path(path, key), f"unknown {noun} ({hint})")
    for key in required:
        if key not in obj:
            raise _Bad(_where(path), f"missing required {noun} '{key}'")


def _int(value: Any, path: str, lo: int | None = None, hi: int | None = None) -> int:
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or (isinstance(value, float) and not value.is_integer())):
        raise _Bad(path, f"expected a whole number, got {_describe(value)}")
    value = int(value)
    if lo is not None and value < lo:
        raise _Bad(path, f"must be at least {lo}, got {value}")
    if hi is not None and value > hi:
        raise _Bad(path, f"must be at most {hi}, got {value}")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(path, f"expected a number, got {_describe(value)}")
    try:
        result = float(value)
    except OverflowError:
        raise _Bad(path, f"the number {_short(value)} is too large") from None
    if not math.isfinite(result):
        raise _Bad(path, f"the number {value!r} is not finite (numbers must be finite)")
    return result


def _text(value: Any, path: str, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        expected = "text or null" if allow_none else "text"
        raise _Bad(path, f"expected {expected}, got {_describe(value)}")
    return value


def _choice(value: Any, path: str, choices: tuple[str, ...], noun: str) -> str:
    if not isinstance(value, str):
        raise _Bad(path, f"expected the {noun} as text, got {_describe(value)}")
    if value not in choices:
        raise _Bad(path, f"unknown {noun} {_short(value)} (choose one of {', '.join(choices)})")
    return value


def _history_number(value: Any, path: str, allow_none: bool) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, str) and value in _NONFINITE_TEXT:
        return _NONFINITE_TEXT[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        extra = ", null" if allow_none else ""
        raise _Bad(path, f"expected a number{extra} or \"NaN\"/\"Infinity\"/\"-Infinity\", "
                         f"got {_describe(value)}")
    return _number(value, path)


# ------------------------------------------------------------------------ validation
@dataclass
class _Checked:
    """The validated content of a file, ready to build."""

    loss: str
    neurons: list[dict]
    connections: list[tuple[int, int, float]]   # in an order in which no add closes a cycle
    next_id: int
    settings: TrainingSettings
    data: dict | None
    history: list[EpochRecord]
    state: dict | None
    notes: str


def _check_version(data: dict) -> dict:
    if "format" not in data:
        raise _Bad("top level", "missing field 'format': this is not an nnstudio network file")
    if data["format"] != FORMAT:
        raise _Bad("format", f"{_describe(data['format'])} is not the nnstudio network marker "
                             f"(expected \"{FORMAT}\"): this is not an nnstudio network file")
    if "version" not in data:
        raise _Bad("top level", "missing field 'version'")
    version = _int(data["version"], "version")
    if version > FORMAT_VERSION:
        raise _Bad("version", f"made by a newer nnstudio (version {version}); "
                              f"this one reads up to {FORMAT_VERSION}")
    while version < FORMAT_VERSION:
        migrate = MIGRATIONS.get(version)
        if migrate is None:
            oldest = min([v for v in MIGRATIONS if v < FORMAT_VERSION] + [FORMAT_VERSION])
            raise _Bad("version", f"unknown version {version} "
                                  f"(this nnstudio reads versions {oldest} to {FORMAT_VERSION})")
        data = migrate(_plain_copy(data))
        new_version = data.get("version") if isinstance(data, dict) else None
        if not isinstance(new_version, int) or new_version <= version:
            raise _Bad("version", f"the upgrade from version {version} failed")
        version = new_version
    return data


def _check_neurons(value: Any) -> tuple[list[dict], dict[int, dict]]:
    neurons, by_id, index = [], {}, {}
    for i, item in enumerate(_array(value, "neurons")):
        path = f"neurons[{i}]"
        obj = _obj(item, path)
        _fields(obj, path, _NEURON_REQUIRED, _NEURON_OPTIONAL)
        nid = _int(obj["id"], f"{path}.id", 0, MAX_ID)
        if nid in index:
            raise _Bad(f"{path}.id", f"neuron id #{nid} is already used by neurons[{index[nid]}]")
        index[nid] = i
        neuron = {
            "id": nid,
            "role": _choice(obj["role"], f"{path}.role", ROLES, "role"),
            "label": _text(obj.get("label"), f"{path}.label", allow_none=True),
            "activation": (None if obj.get("activation") is None else
                           _choice(obj["activation"], f"{path}.activation", ACTIVATIONS, "activation")),
            "bias": _number(obj.get("bias", 0.0), f"{path}.bias"),
            "x": _number(obj.get("x", 0.0), f"{path}.x"),
            "y": _number(obj.get("y", 0.0), f"{path}.y"),
            "feature": _text(obj.get("feature"), f"{path}.feature", allow_none=True),
            "target": _text(obj.get("target"), f"{path}.target", allow_none=True),
        }
        neurons.append(neuron)
        by_id[nid] = neuron
    return neurons, by_id


def _name(neuron: dict) -> str:
    return f"{neuron['label']} (#{neuron['id']})" if neuron["label"] else f"#{neuron['id']}"


def _check_connections(value: Any, by_id: dict[int, dict]) -> list[tuple[int, int, float]]:
    conns: list[tuple[int, int, float]] = []
    index: dict[tuple[int, int], int] = {}
    for j, item in enumerate(_array(value, "connections")):
        path = f"connections[{j}]"
        obj = _obj(item, path)
        _fields(obj, path, _CONNECTION_REQUIRED, _CONNECTION_OPTIONAL)
        s = _int(obj["source"], f"{path}.source")
        t = _int(obj["target"], f"{path}.target")
        for end, nid in (("source", s), ("target", t)):
            if nid not in by_id:
                raise _Bad(f"{path}.{end}", f"there is no neuron #{nid} in this file")
        src, dst = by_id[s], by_id[t]
        if s == t:
            raise _Bad(path, f"neuron {_name(src)} is connected to itself")
        if dst["role"] == "input":
            raise _Bad(path, f"connection {_name(src)} -> {_name(dst)} goes into an input neuron")
        if src["role"] == "output":
            raise _Bad(path, f"connection {_name(src)} -> {_name(dst)} leaves an output neuron")
        if (s, t) in index:
            raise _Bad(path, f"connection {_name(src)} -> {_name(dst)} is already "
                             f"connections[{index[(s, t)]}]")
        index[(s, t)] = j
        conns.append((s, t, _number(obj.get("weight", 0.0), f"{path}.weight")))
    return _forward_order(conns, by_id, index)


def _forward_order(conns: list[tuple[int, int, float]], by_id: dict[int, dict],
                   index: dict[tuple[int, int], int]) -> list[tuple[int, int, float]]:
    """The connections sorted so that each is added before any leaving its target
    (Kahn's algorithm), which keeps Network.add_connection's cycle test cheap; or a
    located error naming the neurons of a cycle."""
    out: dict[int, list[int]] = {nid: [] for nid in by_id}
    indeg = dict.fromkeys(by_id, 0)
    for s, t, _ in conns:
        out[s].append(t)
        indeg[t] += 1
    ready = [nid for nid, d in indeg.items() if d == 0]
    position: dict[int, int] = {}
    while ready:
        nid = ready.pop()
        position[nid] = len(position)
        for t in out[nid]:
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(t)
    if len(position) == len(by_id):
        return sorted(conns, key=lambda c: (position[c[1]], position[c[0]]))
    cycle = find_cycle(out)
    closing = index[(cycle[-2], cycle[-1])]
    raise _Bad(f"connections[{closing}]", "this connection closes a cycle: "
               + " -> ".join(_name(by_id[nid]) for nid in cycle))


def _check_settings(value: Any) -> TrainingSettings:
    if value is None:
        return TrainingSettings()
    obj = _obj(value, "settings")
    known = tuple(f.name for f in fields(TrainingSettings))
    _fields(obj, "settings", (), known, noun="setting")
    values = {}
    for key, raw in obj.items():
        path = f"settings.{key}"
        kind = _SETTING_KINDS.get(key)
        if kind is None:
            values[key] = raw
        elif raw is None and kind.endswith("?"):
            values[key] = None
        elif kind.startswith("int"):
            values[key] = _int(raw, path)
        elif kind.startswith("number"):
            values[key] = _number(raw, path)
        elif kind == "text":
            values[key] = _text(raw, path)
        elif kind == "bool":
            if not isinstance(raw, bool):
                raise _Bad(path, f"expected true or false, got {_describe(raw)}")
            values[key] = raw
        elif kind == "split":
            parts = _array(raw, path)
            if len(parts) != 3:
                raise _Bad(path, f"expected 3 fractions (train, validation, test), got {len(parts)}")
            values[key] = [_number(p, f"{path}[{i}]") for i, p in enumerate(parts)]
    try:
        return TrainingSettings.from_dict(values)
    except (SettingsError, TypeError, ValueError) as e:
        raise _Bad("settings", str(e)) from None


def _check_data(value: Any) -> dict | None:
    if value is None:
        return None
    obj = _obj(value, "data")
    _fields(obj, "data", _DATA_REQUIRED, _DATA_OPTIONAL)
    path = _text(obj["path"], "data.path")
    if not path or "\x00" in path:
        raise _Bad("data.path", "expected the dataset's file path, got "
                                + ("empty text" if not path else "text with a NUL character"))
    classes = obj.get("classes")
    if classes is not None:
        classes = [_text(c, f"data.classes[{i}]") for i, c in enumerate(_array(classes, "data.classes"))]
        for i, c in enumerate(classes):
            if c in classes[:i]:
                raise _Bad(f"data.classes[{i}]", f"class {_short(c)} is listed twice")
    scaler = obj.get("scaler")
    if scaler is not None:
        _fields(_obj(scaler, "data.scaler"), "data.scaler", _SCALER_REQUIRED)
        mean = [_number(v, f"data.scaler.mean[{i}]")
                for i, v in enumerate(_array(scaler["mean"], "data.scaler.mean"))]
        std = [_number(v, f"data.scaler.std[{i}]")
               for i, v in enumerate(_array(scaler["std"], "data.scaler.std"))]
        if len(mean) != len(std):
            raise _Bad("data.scaler", f"mean has {len(mean)} values but std has {len(std)}")
        for i, v in enumerate(std):
            if v <= 0:      # as Standardizer: a constant column gets std 1, never 0
                raise _Bad(f"data.scaler.std[{i}]", f"a standard deviation must be > 0, got {v!r}")
        scaler = {"mean": mean, "std": std}
    return {
        "path": path,
        "target": _text(obj["target"], "data.target"),
        "task": _choice(obj.get("task", "regression"), "data.task", TASKS, "task"),
        "classes": classes,
        "scaler": scaler,
    }


def _check_history(value: Any) -> list[EpochRecord]:
    records = []
    for i, item in enumerate(_array(value, "history")):
        path = f"history[{i}]"
        obj = _obj(item, path)
        _fields(obj, path, _HISTORY_REQUIRED, _HISTORY_OPTIONAL)
        records.append(EpochRecord(
            epoch=_int(obj["epoch"], f"{path}.epoch", 0),
            step=_int(obj["step"], f"{path}.step", 0),
            train_cost=_history_number(obj["train_cost"], f"{path}.train_cost", False),
            **{k: _history_number(obj.get(k), f"{path}.{k}", True) for k in _HISTORY_OPTIONAL}))
    return records


def _validate(data: Any) -> _Checked:
    """Check plain data completely; raise :class:`_Bad` at the first problem."""
    _check_tree(data)
    data = _check_version(_obj(data, ""))
    _fields(data, "", _TOP_REQUIRED, _TOP_OPTIONAL)
    _text(data.get("generator", ""), "generator")
    notes = _text(data.get("notes", ""), "notes")
    loss = _choice(data["loss"], "loss", LOSSES, "loss")
    next_id = data.get("next_id")
    next_id = 0 if next_id is None else _int(next_id, "next_id", 0)
    neurons, by_id = _check_neurons(data["neurons"])
    connections = _check_connections(data["connections"], by_id)
    settings = _check_settings(data.get("settings"))
    binding = _check_data(data.get("data"))
    history = _check_history(data.get("history", []))
    state = data.get("state")
    if state is not None:
        state = _plain_copy(_obj(state, "state"))
    return _Checked(loss, neurons, connections, next_id, settings, binding, history, state, notes)


# -------------------------------------------------------------------------- building
def _resolve(stored: str, base_dir: str | None) -> str:
    if base_dir is None or os.path.isabs(stored):
        return stored
    return os.path.normpath(os.path.join(os.path.abspath(base_dir), stored))


def _build(checked: _Checked, base_dir: str | None) -> Project:
    net = Network(checked.loss)
    for n in checked.neurons:
        net.add_neuron(n["role"], label=n["label"], activation=n["activation"], bias=n["bias"],
                       x=n["x"], y=n["y"], feature=n["feature"], target=n["target"], id=n["id"])
    for s, t, w in checked.connections:
        net.add_connection(s, t, w)
    net.next_id = max(net.next_id, checked.next_id)     # a too-small next_id is repaired
    data = None
    if checked.data is not None:
        d = checked.data
        data = DataBinding(path=_resolve(d["path"], base_dir), target=d["target"], task=d["task"],
                           classes=d["classes"], scaler=d["scaler"])
    return Project(network=net, settings=checked.settings, data=data, history=checked.history,
                   state=checked.state, notes=checked.notes)


def project_from_dict(data: dict, base_dir: str | None = None, source: str = "<data>") -> Project:
    """Validate plain data (as parsed from a file) completely, then build a :class:`Project`.

    A relative ``data.path`` is resolved against ``base_dir`` (the folder of the file) into
    an absolute path; with ``base_dir`` None it is kept as written. ``data`` is not modified
    and shares nothing with the result. Raises :class:`FileFormatError` naming ``source``.
    """
    try:
        return _build(_validate(data), base_dir)
    except _Bad as e:
        raise FileFormatError(source, e.where, e.what) from None
    except NetworkError as e:       # validation should have caught it; never leak another type
        raise FileFormatError(source, None, f"impossible network: {e}") from None


# --------------------------------------------------------------------------- writing
def _portable_path(path: str, base_dir: str | None) -> str:
    """``path`` relative to ``base_dir`` (when given), with forward slashes."""
    if base_dir is not None:
        absolute = os.path.abspath(path)
        try:
            path = os.path.relpath(absolute, os.path.abspath(base_dir))
        except ValueError:          # another drive on Windows: keep it absolute
            path = absolute
    for sep in (os.sep, os.altsep):
        if sep and sep != "/":
            path = path.replace(sep, "/")
    return path


def _plain_number(value: Any) -> Any:
    """Python/NumPy scalars as int or float (anything else is left for validation to report)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return value
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _plain_numbers(values: Any) -> Any:
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (list, tuple)):
        return [_plain_number(v) for v in values]
    return values


def _history_value(value: Any) -> Any:
    value = _plain_number(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _binding_to_dict(binding: DataBinding, base_dir: str | None) -> dict:
    scaler = binding.scaler
    if isinstance(scaler, dict):
        scaler = {k: (_plain_numbers(v) if k in _SCALER_REQUIRED else v) for k, v in scaler.items()}
    return {
        "path": _portable_path(binding.path, base_dir) if isinstance(binding.path, str) else binding.path,
        "target": binding.target,
        "task": binding.task,
        "classes": list(binding.classes) if isinstance(binding.classes, (list, tuple)) else binding.classes,
        "scaler": scaler,
    }


def project_to_dict(project: Project, base_dir: str | None = None) -> dict:
    """The plain data of a network file (not yet validated: :func:`save_project` and
    :func:`dumps_project` validate it before writing).

    With ``base_dir`` (the folder the file goes to), the dataset path is written relative
    to it; without, as it is. Paths always use forward slashes. The state is copied only
    shallowly here, the returned dict is meant to be serialized, not kept.
    """
    net = project.network
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "generator": f"nnstudio {__version__}",
        "notes": project.notes,
        "loss": net.loss,
        "next_id": net.next_id,
        "neurons": [{"id": n.id, "role": n.role, "label": n.label, "activation": n.activation,
                     "bias": n.bias, "x": n.x, "y": n.y, "feature": n.feature, "target": n.target}
                    for n in net.neurons()],
        "connections": [{"source": c.source, "target": c.target, "weight": c.weight}
                        for c in net.connections()],
        "settings": {k: (_plain_numbers(v) if k == "split" else _plain_number(v))
                     for k, v in project.settings.to_dict().items()},
        "data": None if project.data is None else _binding_to_dict(project.data, base_dir),
        "history": [{k: _history_value(v) for k, v in record.to_dict().items()}
                    for record in project.history],
        "state": project.state,
    }


def _json(value: Any, separators: tuple[str, str] | None = None) -> str:
    # Python writes floats with repr(), the shortest text that reads back to the same double.
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=separators)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _emit(value: Any, level: int, in_array: bool, out: list[str]) -> None:
    """Indented JSON, but one line per neuron, connection, history entry and flat array."""
    compact = (", ", ": ")
    if isinstance(value, dict) and value:
        if in_array and all(_is_scalar(v) or (isinstance(v, list) and all(map(_is_scalar, v)))
                            for v in value.values()):
            out.append(_json(value, compact))
            return
        items = list(value.items())
        out.append("{\n")
        for i, (key, child) in enumerate(items):
            out.append("  " * (level + 1) + _json(key) + ": ")
            _emit(child, level + 1, False, out)
            out.append(",\n" if i < len(items) - 1 else "\n")
        out.append("  " * level + "}")
    elif isinstance(value, list) and value and not all(map(_is_scalar, value)):
        out.append("[\n")
        for i, child in enumerate(value):
            out.append("  " * (level + 1))
            _emit(child, level + 1, True, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append("  " * level + "]")
    else:
        out.append(_json(value, compact))


def _serialize(project: Project, base_dir: str | None, source: str) -> str:
    """Validated JSON text of a project, or FileFormatError saying why it cannot be saved."""
    try:
        data = project_to_dict(project, base_dir)
        _validate(data)
        out: list[str] = []
        _emit(data, 0, False, out)
    except _Bad as e:
        raise FileFormatError(source, f"cannot save {e.where}", e.what) from None
    except (TypeError, ValueError) as e:    # what project_to_dict could not even convert
        raise FileFormatError(source, "cannot save", str(e)) from None
    out.append("\n")
    return "".join(out)


def dumps_project(project: Project, base_dir: str | None = None) -> str:
    """The text of a network file (validated), e.g. for the clipboard or tests."""
    return _serialize(project, base_dir, "<text>")


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


def save_project(project: Project, path) -> None:
    """Write ``project`` to ``path`` atomically.

    The text is produced and validated first; then it goes to a temporary file in the same
    folder, which is flushed, fsynced and renamed over ``path``. On any error the previous
    file is untouched, the temporary file is removed and :class:`FileFormatError` names
    ``path`` (the original OSError is chained as ``__cause__``).
    """
    source = os.fspath(path)
    source = source.decode() if isinstance(source, bytes) else source
    shown_path = os.path.abspath(source)
    target = os.path.realpath(shown_path)      # write through a symlink, keep the link
    folder = os.path.dirname(target)
    payload = _serialize(project, os.path.dirname(shown_path), source).encode("utf-8")
    if not os.path.isdir(folder):
        raise FileFormatError(source, "cannot save", f"the folder {folder} does not exist")
    tmp = None
    try:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = None
        while True:
            tmp = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(4)}.tmp")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
                break
            except FileExistsError:
                continue
        try:
            _write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
        tmp = None
        _fsync_folder(folder)
    except OSError as e:
        raise FileFormatError(source, "cannot save", e.strerror or str(e)) from e
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- reading
def _parse(raw: bytes | str, source: str) -> Any:
    if isinstance(raw, bytes):
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
            raise FileFormatError(source, f"line {line}, column {column}",
                                  f"byte 0x{raw[e.start]:02x} is not UTF-8 text "
                                  "(nnstudio files are UTF-8 JSON)") from None
    else:
        text = raw[1:] if raw.startswith("\ufeff") else raw
    if not text.strip():
        raise FileFormatError(source, None, "the file is empty")
    try:
        return json.loads(text, parse_constant=_NonFinite, object_pairs_hook=_object_hook)
    except json.JSONDecodeError as e:
        truncated = " (the file ends too early: is it cut off?)" if e.pos >= len(text.rstrip()) else ""
        raise FileFormatError(source, f"line {e.lineno}, column {e.colno}",
                              f"not valid JSON: {e.msg}{truncated}") from None
    except RecursionError:
        raise FileFormatError(source, None, "not valid JSON: nested too deeply") from None
    except ValueError as e:         # e.g. an integer with thousands of digits
        raise FileFormatError(source, None, f"not valid JSON: {e}") from None


def loads_project(text: str | bytes, base_dir: str | None = None, source: str = "<text>") -> Project:
    """Parse and validate the text of a network file (see :func:`load_project`)."""
    return project_from_dict(_parse(text, source), base_dir, source)


def _read(path: str, source: str) -> bytes:
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise FileFormatError(source, None, f"the file is too large ({size / 2**20:.0f} MB; "
                                                    f"the limit is {MAX_FILE_BYTES / 2**20:.0f} MB)")
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise FileFormatError(source, None, "no such file") from None
    except IsADirectoryError:
        raise FileFormatError(source, None, "this is a folder, not a network file") from None
    except OSError as e:
        raise FileFormatError(source, None, f"cannot read the file: {e.strerror or e}") from e
    if len(raw) > MAX_FILE_BYTES:
        raise FileFormatError(source, None, f"the file is too large (more than "
                                            f"{MAX_FILE_BYTES / 2**20:.0f} MB)")
    return raw


def load_project(path) -> Project:
    """Read, validate and build the project in the network file ``path``.

    The dataset path comes back absolute (resolved against the file's folder). Every
    problem, a missing file included, raises :class:`FileFormatError`.
    """
    source = os.fspath(path)
    source = source.decode() if isinstance(source, bytes) else source
    raw = _read(source, source)
    return loads_project(raw, os.path.dirname(os.path.abspath(source)), source)
