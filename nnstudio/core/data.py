"""Data for training: CSV tables, derived features, targets, splits and scaling.

Pure Python + NumPy (no Qt). The pipeline a lab goes through:

1. ``read_csv(path) -> Table``: the file as raw strings, nothing interpreted yet.
2. ``load_dataset(table, features, target, task) -> Dataset``: the feature matrix ``X``
   (m, n) with one column per input neuron (features may be derived expressions such as
   ``"x^2"`` or ``"x1*x2"``, course section 2), and the target ``y``.
3. ``split_indices(m, (0.6, 0.2, 0.2), seed, labels)``: train / validation / test
   (course section 2: choose on validation, report the test set once).
4. ``Standardizer.fit(X[train])``: ``z = (x - mean) / std``, fitted on the training split
   only (course section 1: many variables need feature scaling).
5. ``Dataset.targets(n_outputs)``: the (m, n_outputs) target matrix: a regression column,
   a binary 0/1 column, or a one-hot matrix (course section 4).

Every problem with the data raises :class:`DataError` whose message is one line naming the
file, the line (1-based, the header is line 1), the column and the offending value.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

__all__ = [
    "DataError",
    "Table",
    "read_csv",
    "parse_feature",
    "format_feature",
    "canonical_feature",
    "feature_values",
    "read_header",
    "polynomial_features",
    "Dataset",
    "load_dataset",
    "one_hot_eye",
    "one_hot_compare",
    "Standardizer",
    "split_indices",
    "parse_split",
    "REGRESSION",
    "CLASSIFICATION",
]

REGRESSION = "regression"
CLASSIFICATION = "classification"

#: A numeric target with at most this many distinct whole-number values is inferred to
#: be class labels (see :func:`load_dataset`).
MAX_INFERRED_CLASSES = 10


class DataError(ValueError):
    """Bad data.

    ``str(e)`` is one line naming the file, the row (1-based line number in the file,
    header = line 1), the column and the offending value where they apply, e.g.
    ``data.csv line 7, column 'x2': 'abc' is not a number``.
    """


# ---------------------------------------------------------------------------------------
# Small helpers for messages
# ---------------------------------------------------------------------------------------

def _file_label(path: str | None) -> str:
    """The name used in messages: the file's base name (``data.csv``), or ``''``."""
    return os.path.basename(path) if path else ""


def _where(path: str | None, line: int | None = None, column: str | None = None) -> str:
    """``'data.csv line 7, column 'x2''`` with whatever parts are known."""
    parts = []
    name = _file_label(path)
    if name and line is not None:
        parts.append(f"{name} line {line}")
    elif name:
        parts.append(name)
    elif line is not None:
        parts.append(f"line {line}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


def _prefixed(where: str, message: str) -> str:
    return f"{where}: {message}" if where else message


def _name_list(names: Iterable[str], limit: int = 12) -> str:
    """``'a, b, c'``; a long list (a 785-column image file) is cut after ``limit`` names."""
    names = list(names)
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f", ... ({len(names)} in all)"


def _short(text: str, limit: int = 40) -> str:
    """``repr`` of a cell, cut to about ``limit`` characters for a one-line message."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


# ---------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------

# A plain decimal number: optional sign, digits with an optional dot, optional exponent.
# Stricter than float(): no 'nan', 'inf', '1_000' or hex, which are never real data here.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_MISSING_WORDS = {"nan", "na", "n/a", "null", "none", "?", "-"}


def _is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None and math.isfinite(float(text))


def _why_not_number(text: str) -> str:
    """The end of the message for a cell that is not a usable number."""
    if text == "":
        return "the value is missing"
    if text.lower() in _MISSING_WORDS:
        return f"{text!r} is not a number (missing values are not allowed)"
    if _DECIMAL_COMMA.fullmatch(text):
        return f"{text!r} is not a number (use a dot for decimals: {text.replace(',', '.')})"
    if _NUMBER.fullmatch(text):
        return f"{_short(text)} is too large to be a number"
    return f"{_short(text)} is not a number"


def _number_label(value: float) -> str:
    """Canonical class label of a numeric cell: ``'1'`` for 1, 1.0 or 1e0; else repr."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


# ---------------------------------------------------------------------------------------
# Table and read_csv
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    """A CSV as read: the header and the raw (whitespace-stripped) string cells.

    ``lines[i]`` is the 1-based line in the file where data row ``i`` starts (blank lines
    are skipped, so it is not always ``i + 2``). A table built in memory may leave
    ``lines`` empty; rows are then numbered as if the file had no blank lines.
    """

    path: str | None
    columns: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        columns = tuple(str(c) for c in self.columns)
        cells = tuple(tuple(map(str, row)) for row in self.cells)
        object.__setattr__(self, "path", None if self.path is None else os.fspath(self.path))
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "cells", cells)
        object.__setattr__(self, "lines", tuple(int(n) for n in self.lines))
        if self.lines and len(self.lines) != len(cells):
            raise DataError(
                f"table has {len(cells)} rows but {len(self.lines)} line numbers")
        _check_header(columns, self.path)
        for i, row in enumerate(cells):
            if len(row) != len(columns):
                raise DataError(_prefixed(
                    _where(self.path, self.line(i)),
                    f"expected {len(columns)} values ({_name_list(columns)}), "
                    f"found {len(row)}"))

    def __repr__(self) -> str:  # the cells can be millions of strings: leave them out
        return f"Table(path={self.path!r}, columns={self.columns!r}, m={self.m})"

    @property
    def m(self) -> int:
        """Number of data rows."""
        return len(self.cells)

    def line(self, row: int) -> int:
        """The 1-based file line of data row ``row`` (0-based)."""
        return self.lines[row] if self.lines else row + 2

    def index(self, name: str) -> int:
        """Position of column ``name``; DataError listing the columns if there is none."""
        try:
            return self.columns.index(name)
        except ValueError:
            where = _file_label(self.path)
            inside = f" in {where}" if where else ""
            raise DataError(
                f"no column {name!r}{inside}; the columns are: {_name_list(self.columns)}"
            ) from None

    def column(self, name: str) -> list[str]:
        """The raw strings of column ``name``, one per data row."""
        j = self.index(name)
        return [row[j] for row in self.cells]

    def numeric(self, name: str) -> np.ndarray:
        """Column ``name`` as float64, shape (m,).

        DataError naming the line, the column and the value for the first cell that is
        empty, text, or not finite (``nan``, ``inf``, an overflowing exponent).
        """
        values = self.column(name)
        try:  # fast path; float() also accepts 'nan', 'inf' and '1_000', hence the checks
            out = np.array(values, dtype=np.float64)
            if np.all(np.isfinite(out)) and "_" not in "".join(values):
                return out
        except ValueError:
            pass
        out = np.empty(len(values), dtype=np.float64)
        for i, text in enumerate(values):
            if not _is_number(text):
                raise DataError(_prefixed(_where(self.path, self.line(i), name),
                                          _why_not_number(text)))
            out[i] = float(text)
        return out

    def is_numeric(self, name: str) -> bool:
        """True when every cell of column ``name`` is a finite number."""
        return all(_is_number(v) for v in self.column(name))


def _check_header(columns: Sequence[str], path: str | None) -> None:
    where = _where(path, 1)
    if not columns:
        raise DataError(_prefixed(where, "the header has no column names"))
    seen: dict[str, int] = {}
    for j, name in enumerate(columns, start=1):
        if name == "":
            raise DataError(_prefixed(where, f"column {j} of the header has no name"))
        if name in seen:
            raise DataError(_prefixed(
                where, f"column name {name!r} appears twice (columns {seen[name]} and {j})"))
        seen[name] = j


def _decode(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        byte = raw[e.start]
        raise DataError(
            f"{_where(path, line)}: byte 0x{byte:02x} is not UTF-8 text; "
            "save the file as 'CSV UTF-8'") from None


def _read_bytes(path: str, read=lambda f: f.read()) -> bytes:
    """``read(f)`` of the file opened in binary mode, with what can go wrong opening or
    reading it said as a :class:`DataError` that names the file."""
    try:
        with open(path, "rb") as f:
            return read(f)
    except FileNotFoundError:
        raise DataError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder, not a CSV file") from None
    except PermissionError:
        raise DataError(f"cannot read {path}: permission denied") from None
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from None


def read_csv(path: str | os.PathLike) -> Table:
    """Read a comma-separated file with a header line into a :class:`Table`.

    Uses the ``csv`` module (quoted fields may contain commas), strips whitespace around
    every cell, skips blank lines (and lines whose cells are all empty), and accepts a
    UTF-8 byte-order mark. Raises DataError if the file is missing or unreadable, empty,
    has a header but no data rows, has duplicate or empty column names, or a row with the
    wrong number of values.
    """
    path = os.fspath(path)
    raw = _read_bytes(path)

    text = _decode(raw, path)
    name = _file_label(path)
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)

    header: tuple[str, ...] | None = None
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    last_line = 0
    while True:
        start = last_line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise DataError(f"{_where(path, start)}: {e}") from None
        last_line = reader.line_num
        cells = tuple(map(str.strip, record))
        if not any(cells):
            continue  # a blank line (or only commas): no data
        if header is None:
            header = cells
            if len(header) == 1:
                for sep, sep_name in ((";", "semicolons"), ("\t", "tabs")):
                    if sep in header[0]:
                        raise DataError(
                            f"{_where(path, start)}: the values are separated by "
                            f"{sep_name}; nnstudio reads comma-separated files")
            _check_header(header, path)
            continue
        if len(cells) != len(header):
            raise DataError(
                f"{_where(path, start)}: expected {len(header)} values "
                f"({_name_list(header)}), found {len(cells)}")
        rows.append(cells)
        lines.append(start)

    if header is None:
        raise DataError(f"{name} is empty: expected a header line with column names")
    if not rows:
        raise DataError(f"{name} has a header but no data rows")
    return _checked_table(path, header, tuple(rows), tuple(lines))


def _checked_table(path: str, columns: tuple[str, ...], cells: tuple[tuple[str, ...], ...],
                   lines: tuple[int, ...]) -> Table:
    """A Table from parts read_csv has already normalized and validated, skipping the
    per-cell conversion of ``Table.__post_init__`` (it doubles the time on big files)."""
    table = object.__new__(Table)
    for name, value in (("path", path), ("columns", columns), ("cells", cells),
                        ("lines", lines)):
        object.__setattr__(table, name, value)
    return table


# ---------------------------------------------------------------------------------------
# Derived features: "x", "x^2", "x1*x2", "x1^2*x2"
# ---------------------------------------------------------------------------------------

Terms = tuple[tuple[str, int], ...]


def parse_feature(expr: str) -> Terms:
    """Parse a feature expression into ``((column, power), ...)``.

    A feature is a product of column powers (course section 2: polynomial features feed
    a linear model): ``"x" -> (("x", 1),)``, ``"x^2" -> (("x", 2),)``,
    ``"x1*x2" -> (("x1", 1), ("x2", 1))``, ``"x1^2*x2" -> (("x1", 2), ("x2", 1))``.
    Whitespace around names and operators is ignored; powers are positive whole numbers;
    a column repeated in the product is merged (``"x*x" -> (("x", 2),)``), keeping the
    order of first appearance.
    """
    if not isinstance(expr, str):
        raise DataError(f"bad feature expression {expr!r}: it must be text")

    def bad(reason: str) -> DataError:
        return DataError(f"bad feature expression {expr!r}: {reason}")

    if expr.strip() == "":
        raise bad("it is empty")
    powers: dict[str, int] = {}
    for factor in expr.split("*"):
        parts = [p.strip() for p in factor.split("^")]
        name = parts[0]
        if name == "":
            if factor.strip() == "":
                raise bad("a '*' has nothing on one side")
            raise bad("a '^' has no column name before it")
        if len(parts) > 2:
            raise bad(f"{factor.strip()!r} has more than one '^'")
        power = 1
        if len(parts) == 2:
            text = parts[1]
            if not text.isdigit() or not text.isascii() or int(text) < 1:
                raise bad(f"the power after '^' must be a positive whole number, got {text!r}")
            power = int(text)
        powers[name] = powers.get(name, 0) + power
    return tuple(powers.items())


def format_feature(terms: Iterable[tuple[str, int]]) -> str:
    """The canonical expression for ``terms``: ``(("x1", 2), ("x2", 1)) -> "x1^2*x2"``.

    Inverse of :func:`parse_feature`: ``parse_feature(format_feature(t)) == t`` for
    canonical terms, and ``format_feature(parse_feature(s))`` is ``s`` without spaces.
    """
    terms = tuple(terms)
    if not terms:
        raise DataError("bad feature: it has no columns")
    out = []
    for name, power in terms:
        if not isinstance(name, str) or name.strip() != name or name == "":
            raise DataError(f"bad feature: column name {name!r} is empty or has spaces around it")
        if "*" in name or "^" in name:
            raise DataError(f"column {name!r} contains '*' or '^', so it cannot be used "
                            "in a derived feature; rename the column")
        if isinstance(power, bool) or not isinstance(power, (int, np.integer)) or power < 1:
            raise DataError(f"bad feature: the power of {name!r} must be a positive whole "
                            f"number, got {power!r}")
        out.append(name if power == 1 else f"{name}^{int(power)}")
    return "*".join(out)


def _canonical_feature(table: Table, expr: str) -> tuple[str, Terms]:
    """(canonical expression, terms) for ``expr`` over ``table``'s columns.

    A column whose name is exactly ``expr`` wins, so a column named ``"size (m^2)"``
    stays a plain column.
    """
    if isinstance(expr, str) and expr.strip() in table.columns:
        name = expr.strip()
        return name, ((name, 1),)
    terms = parse_feature(expr)
    for name, _ in terms:
        table.index(name)  # DataError listing the columns if it does not exist
    return format_feature(terms), terms


def canonical_feature(table: Table, expr: str) -> str:
    """The canonical form of feature ``expr`` over ``table``'s columns (``"x1 * x2^2"`` ->
    ``"x1*x2^2"``; a column whose name is exactly ``expr`` stays as it is). DataError for
    an expression that does not parse or names a column the table does not have."""
    return _canonical_feature(table, expr)[0]


def feature_values(table: Table, expr: str) -> np.ndarray:
    """Values of feature ``expr`` for every row: the product of column powers, shape (m,).

    ``feature_values(t, "x1^2*x2") == t.numeric("x1") ** 2 * t.numeric("x2")``.
    A value too large for a float (``x^1000`` with ``x = 3``) is a DataError naming the
    feature, the first such row's file line and the column values there; NumPy's
    overflow warnings are not shown.
    """
    name, terms = _canonical_feature(table, expr)
    out = np.ones(table.m, dtype=np.float64)
    columns = []
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for col_name, power in terms:
            col = table.numeric(col_name)
            columns.append((col_name, col))
            out *= col if power == 1 else col ** power
    if not np.all(np.isfinite(out)):
        i = int(np.flatnonzero(~np.isfinite(out))[0])
        values = ", ".join(f"{c} = {table.cells[i][table.index(c)]}" for c, _ in columns)
        raise DataError(_prefixed(
            _where(table.path, table.line(i)),
            f"feature {name!r} is too large to compute ({values}): it overflows a 64-bit "
            "float; use a smaller power or rescale the column"))
    return out


def _first_filled_lines(f) -> bytes:
    """The lines of ``f`` up to and with its first one that is not blank."""
    raw = b""
    while True:
        chunk = f.readline()
        raw += chunk
        if not chunk or chunk.decode("utf-8", "replace").strip(" \ufeff\t\r\n,"):
            return raw


def read_header(path: str | os.PathLike) -> tuple[str, ...]:
    """The column names of a CSV file, reading only up to its first non-blank line.
    DataError, as :func:`read_csv`, for a file that cannot be read or has no header."""
    path = os.fspath(path)
    raw = _read_bytes(path, _first_filled_lines)
    text = _decode(raw, path)
    for record in csv.reader(io.StringIO(text, newline=""), skipinitialspace=True):
        cells = tuple(map(str.strip, record))
        if any(cells):
            _check_header(cells, path)
            return cells
    raise DataError(f"{_file_label(path)} is empty: expected a header line with column names")


def polynomial_features(columns: Sequence[str], degree: int) -> list[str]:
    """All monomials of degree 1..``degree`` over ``columns``, in graded order.

    Degree 1 first, then each degree in the order of ``itertools.combinations_with_
    replacement`` over the column positions: for ``["x1", "x2"]`` and degree 2,
    ``["x1", "x2", "x1^2", "x1*x2", "x2^2"]``. n columns give C(n + D, D) - 1 features.
    """
    columns = list(columns)
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 1:
        raise DataError(f"polynomial degree must be a whole number >= 1, got {degree!r}")
    if not columns:
        raise DataError("polynomial features need at least one column")
    if len(set(columns)) != len(columns):
        dup = next(c for c in columns if columns.count(c) > 1)
        raise DataError(f"column {dup!r} is listed twice for polynomial features")
    out = []
    for d in range(1, int(degree) + 1):
        for combo in itertools.combinations_with_replacement(range(len(columns)), d):
            terms = tuple((columns[j], combo.count(j)) for j in sorted(set(combo)))
            out.append(format_feature(terms))
    return out


# ---------------------------------------------------------------------------------------
# One-hot encoding (course section 4)
# ---------------------------------------------------------------------------------------

def _check_labels(y: np.ndarray, k: int) -> np.ndarray:
    y = np.asarray(y)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise DataError(f"number of classes must be a whole number >= 1, got {k!r}")
    if y.ndim != 1:
        raise DataError(f"class labels must be a 1-D array, got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.mod(y, 1) == 0):
            raise DataError("class labels must be whole numbers 0..K-1")
        y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= k):
        bad = y[(y < 0) | (y >= k)][0]
        raise DataError(f"class label {int(bad)} is outside 0..{k - 1}")
    return y.astype(np.int64, copy=False)


def one_hot_eye(y: np.ndarray, k: int) -> np.ndarray:
    """One-hot method 1: row ``y[i]`` of the K x K identity matrix, ``np.eye(k)[y]``.

    ``y``: (m,) class indices in 0..k-1. Returns (m, k) float64 with a single 1 per row.
    """
    y = _check_labels(y, k)
    return np.eye(k)[y]


def one_hot_compare(y: np.ndarray, k: int) -> np.ndarray:
    """One-hot method 2: compare each label to the range of classes,
    ``(y[:, None] == np.arange(k)).astype(float)``.

    Broadcasting the (m, 1) labels against the (k,) classes gives an (m, k) boolean
    matrix, True exactly where the column is the sample's class. Same result as
    :func:`one_hot_eye`.
    """
    y = _check_labels(y, k)
    return (y[:, None] == np.arange(k)).astype(np.float64)


# ---------------------------------------------------------------------------------------
# Dataset and load_dataset
# ---------------------------------------------------------------------------------------

@dataclass(eq=False)
class Dataset:
    """Features and target ready for a network.

    ``X`` (m, n) float64 holds the raw (unscaled) derived feature values, one column per
    input neuron in the order of ``features``. ``y`` is (m,) float64 for regression, or
    (m,) int64 class indices for classification, with ``classes[y[i]]`` the label.
    """

    features: list[str]
    target: str
    task: str
    X: np.ndarray
    y: np.ndarray
    classes: list[str] | None = None
    source: str | None = None

    @property
    def m(self) -> int:
        """Number of samples."""
        return int(self.X.shape[0])

    @property
    def n(self) -> int:
        """Number of features (input neurons)."""
        return int(self.X.shape[1])

    @property
    def k(self) -> int | None:
        """Number of classes, or None for regression."""
        return None if self.classes is None else len(self.classes)

    def targets(self, n_outputs: int) -> np.ndarray:
        """The (m, n_outputs) float64 target matrix the engine trains on.

        - regression: ``y[:, None]``; needs exactly 1 output neuron;
        - classification, 1 output: a 0/1 column for logistic regression (course
          section 3); needs exactly 2 classes, ``classes[1]`` is the positive class;
        - classification, K outputs (K = number of classes): one-hot rows for softmax
          or one-versus-all (course section 4).
        Anything else raises DataError explaining the mismatch.
        """
        if isinstance(n_outputs, bool) or not isinstance(n_outputs, (int, np.integer)) \
                or n_outputs < 1:
            raise DataError(f"the network needs at least 1 output neuron, got {n_outputs!r}")
        n_outputs = int(n_outputs)
        if self.task == REGRESSION:
            if n_outputs != 1:
                raise DataError(
                    f"regression on {self.target!r} has one target value per sample, so the "
                    f"network needs 1 output neuron, not {n_outputs}")
            return self.y.astype(np.float64).reshape(-1, 1)
        k = len(self.classes or ())
        names = _name_list(self.classes or ())
        if n_outputs == 1:
            if k != 2:
                raise DataError(
                    f"1 output neuron can only separate 2 classes, but {self.target!r} has "
                    f"{k} ({names}); use {k} output neurons, one per class")
            return self.y.astype(np.float64).reshape(-1, 1)
        if n_outputs == k:
            return one_hot_eye(self.y, k)
        raise DataError(
            f"{self.target!r} has {k} classes ({names}), so the network needs "
            f"{k} output neurons (one per class)"
            + (" or 1 (a 0/1 output)" if k == 2 else "")
            + f", not {n_outputs}")

    def subset(self, idx) -> Dataset:
        """The samples ``idx`` (index array or boolean mask), as a new Dataset."""
        idx = np.asarray(idx)
        if idx.dtype != bool:
            idx = idx.astype(np.intp, copy=False)
        return Dataset(
            features=list(self.features), target=self.target, task=self.task,
            X=self.X[idx], y=self.y[idx],
            classes=None if self.classes is None else list(self.classes),
            source=self.source)

    def __repr__(self) -> str:
        kind = self.task if self.classes is None else f"{self.task}, {len(self.classes)} classes"
        return (f"Dataset(m={self.m}, features={self.features}, target={self.target!r}, "
                f"{kind}, source={self.source!r})")


def _infer_task(table: Table, target: str) -> str:
    """Text in the target -> classification; at most 10 distinct whole numbers, each
    seen twice on average -> classification; any other numbers -> regression.

    The "twice on average" rule (2 * distinct <= m) keeps a tiny regression table such as
    x = 1, 2, 3, 4; y = 7, 10, 13, 16 from being read as 4 classes of one sample each.
    """
    values = table.column(target)
    if not all(_is_number(v) for v in values):
        return CLASSIFICATION
    numbers = np.array([float(v) for v in values])
    distinct = np.unique(numbers)
    if (np.all(distinct == np.round(distinct)) and len(distinct) <= MAX_INFERRED_CLASSES
            and 2 * len(distinct) <= len(numbers)):
        return CLASSIFICATION
    return REGRESSION


def _class_labels(table: Table, target: str) -> list[str]:
    """The label of each row: the raw text, or a canonical number if every cell is one
    (so ``1``, ``1.0`` and ``1e0`` are the same class ``'1'``)."""
    values = table.column(target)
    if all(_is_number(v) for v in values):
        return [_number_label(float(v)) for v in values]
    return values


def _label_key(label: str, numeric: bool) -> str:
    return _number_label(float(label)) if numeric and _is_number(label) else label


def _sorted_classes(labels: Sequence[str]) -> list[str]:
    distinct = set(labels)
    if all(_is_number(c) for c in distinct):
        return sorted(distinct, key=float)
    return sorted(distinct)


def load_dataset(source: str | os.PathLike | Table, features: Sequence[str] | None = None,
                 target: str | None = None, task: str | None = None,
                 classes: Sequence[str] | None = None) -> Dataset:
    """Build a :class:`Dataset` from a CSV path or a :class:`Table`.

    - ``target``: a column name; default the last column.
    - ``features``: expressions (``"x"``, ``"x^2"``, ``"x1*x2"``), one per input neuron;
      default every column but the target. Stored in canonical form.
    - ``task``: ``"regression"``, ``"classification"`` or None to infer: a target with
      any non-numeric cell is classification; a numeric target with at most 10 distinct
      values, all whole numbers (and each seen twice on average), is classification;
      otherwise regression. Giving ``classes`` implies classification.
    - ``classes``: the class labels in index order, e.g. from a saved network so class
      indices stay stable; a row whose label is not among them is an error. Without it
      the classes are the distinct labels sorted, numerically if all are numbers
      (``"2" < "10"``), else as text.
    """
    table = source if isinstance(source, Table) else read_csv(source)
    where = _file_label(table.path)
    in_file = f" in {where}" if where else ""

    if target is None:
        target = table.columns[-1]
    target = target.strip() if isinstance(target, str) else target
    table.index(target)  # DataError listing the columns

    if features is None:
        features = [c for c in table.columns if c != target]
        if not features:
            raise DataError(f"{where or 'the table'} has only the target column {target!r}; "
                            "there is no column left to use as a feature")
    elif isinstance(features, str):
        features = [features]
    if len(features) == 0:
        raise DataError("choose at least one feature column")

    canonical: list[str] = []
    for expr in features:
        name, terms = _canonical_feature(table, expr)
        if any(col == target for col, _ in terms):
            raise DataError(f"{target!r} is the target column; it cannot also be a feature "
                            f"(in {name!r})")
        if name in canonical:
            raise DataError(f"feature {name!r} is listed twice")
        canonical.append(name)

    # Missing target values are an error whatever the task.
    for i, v in enumerate(table.column(target)):
        if v == "":
            raise DataError(f"{_where(table.path, table.line(i), target)}: "
                            "the target value is missing")

    if task is not None:
        task = str(task).strip().lower()
        if task not in (REGRESSION, CLASSIFICATION):
            raise DataError(f"task must be 'regression' or 'classification', got {task!r}")
    elif classes is not None:
        task = CLASSIFICATION
    else:
        task = _infer_task(table, target)

    X = np.empty((table.m, len(canonical)), dtype=np.float64)
    for j, expr in enumerate(canonical):
        X[:, j] = feature_values(table, expr)

    if task == REGRESSION:
        if classes is not None:
            raise DataError("class labels were given, but the task is regression")
        return Dataset(features=canonical, target=target, task=task, X=X,
                       y=table.numeric(target), classes=None, source=table.path)

    labels = _class_labels(table, target)
    numeric = table.is_numeric(target)
    if classes is None:
        class_list = _sorted_classes(labels)
    else:
        class_list = [str(c) for c in classes]
    index: dict[str, int] = {}
    for i, c in enumerate(class_list):
        key = _label_key(c, numeric)
        if key in index:
            raise DataError(f"class {c!r} is listed twice in the class labels")
        index[key] = i
    if len(class_list) < 2:
        only = f" ({class_list[0]!r})" if class_list else ""
        raise DataError(f"column {target!r}{in_file} has only {len(class_list)} class{only}; "
                        "classification needs at least 2")

    y = np.empty(table.m, dtype=np.int64)
    raw = table.column(target)
    for i, label in enumerate(labels):
        try:
            y[i] = index[_label_key(label, numeric)]
        except KeyError:
            raise DataError(
                f"{_where(table.path, table.line(i), target)}: class {_short(raw[i])} is not one "
                f"of the network's classes ({_name_list(class_list)})") from None
    return Dataset(features=canonical, target=target, task=task, X=X, y=y,
                   classes=class_list, source=table.path)


# ---------------------------------------------------------------------------------------
# Standardization (course section 1: feature scaling)
# ---------------------------------------------------------------------------------------

@dataclass(eq=False)
class Standardizer:
    """``z = (x - mean) / std`` per feature column, fitted on the training split only.

    ``std`` is the population standard deviation (``ddof=0``), so the transformed
    training rows have mean 0 and standard deviation 1 exactly (up to rounding). A
    constant column gets ``std = 1``, so nothing divides by zero.
    """

    mean: np.ndarray
    std: np.ndarray

    def __post_init__(self) -> None:
        self.mean = np.asarray(self.mean, dtype=np.float64).reshape(-1)
        self.std = np.asarray(self.std, dtype=np.float64).reshape(-1)
        if self.mean.shape != self.std.shape:
            raise DataError(f"standardizer has {self.mean.size} means but "
                            f"{self.std.size} standard deviations")
        if not (np.all(np.isfinite(self.mean)) and np.all(np.isfinite(self.std))):
            raise DataError("standardizer means and standard deviations must be finite numbers")
        if np.any(self.std <= 0):
            raise DataError("standardizer standard deviations must be > 0")

    @property
    def n(self) -> int:
        return int(self.mean.size)

    @classmethod
    def fit(cls, X: np.ndarray, names: Sequence[str] | None = None,
            lines: Sequence[int] | None = None, source: str | None = None) -> Standardizer:
        """Mean and standard deviation of each column of ``X`` (m, n); a 1-D ``X`` is
        one column.

        ``names`` (one per column), ``lines`` (the file line of each row) and ``source``
        (the file) only make messages precise: a non-finite value is a DataError naming
        its column and line. Values so large that the usual formulas overflow (``1e300``)
        (or so small that the squares underflow to 0, ``1e-300``) are handled by scaling
        each such column by its largest magnitude first, so the result is finite and
        positive and no NumPy warning is shown.
        """
        X = _as_columns(X)
        if X.shape[0] == 0:
            raise DataError("cannot fit feature scaling on 0 rows")

        def column(j: int) -> str:
            return f"feature {names[j]!r}" if names is not None and j < len(names) \
                else f"column {j + 1}"

        bad = ~np.isfinite(X)
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            if lines is not None and i < len(lines):
                where = _where(source, int(lines[i]))
            else:
                where = _prefixed(_file_label(source), f"row {i + 1}").replace(": row", " row")
            raise DataError(_prefixed(where, f"cannot fit feature scaling: {column(j)} is "
                                             f"{float(X[i, j])!r} (missing or infinite values)"))
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            mean = X.mean(axis=0)
            std = X.std(axis=0)
        constant = X.max(axis=0) == X.min(axis=0)
        for j in np.flatnonzero(~(np.isfinite(mean) & np.isfinite(std))
                                | ((std == 0) & ~constant)):
            # Huge values: the sum or the squares overflow; tiny ones: the squares
            # underflow to 0. Scale the column to a largest magnitude of 1 first.
            scale = float(np.max(np.abs(X[:, j])))
            with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                z = X[:, j] / scale
                mean[j] = scale * z.mean()
                std[j] = scale * z.std()
            if not (np.isfinite(mean[j]) and np.isfinite(std[j])):
                raise DataError(f"cannot fit feature scaling: the values of {column(j)} are "
                                f"too large (up to {scale:.3g}); rescale the column")
        std[constant] = 1.0
        return cls(mean=mean, std=std)

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[-1] if X.ndim == 2 else (1 if X.ndim == 1 else -1)
        if n != self.n:
            raise DataError(f"feature scaling was fitted on {self.n} feature(s), "
                            f"got data with {n if n >= 0 else X.shape}")
        return X

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``(X - mean) / std``, a new array of the same shape. Values far outside the
        fitted range can overflow to infinity (no NumPy warning): callers that read new
        data check the result (see ``nnstudio.core.workflow``)."""
        X = self._check(X)
        with np.errstate(over="ignore", invalid="ignore"):
            return (X - self.mean) / self.std

    def inverse(self, Z: np.ndarray) -> np.ndarray:
        """``Z * std + mean``: back to the original units."""
        Z = self._check(Z)
        return Z * self.std + self.mean

    def to_dict(self) -> dict:
        """Plain data for a JSON file: ``{"mean": [...], "std": [...]}`` (exact floats)."""
        return {"mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std]}

    @classmethod
    def from_dict(cls, d: dict) -> Standardizer:
        """Inverse of :meth:`to_dict`; DataError on anything malformed."""
        if not isinstance(d, dict) or "mean" not in d or "std" not in d:
            raise DataError("feature scaling data must have 'mean' and 'std' lists")
        values = []
        for key in ("mean", "std"):
            v = d[key]
            if not isinstance(v, (list, tuple)) or not all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
                raise DataError(f"feature scaling {key!r} must be a list of numbers")
            values.append([float(x) for x in v])
        return cls(mean=np.array(values[0]), std=np.array(values[1]))


def _as_columns(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        return X[:, None]
    if X.ndim != 2:
        raise DataError(f"expected a (samples, features) array, got shape {X.shape}")
    return X


# ---------------------------------------------------------------------------------------
# Train / validation / test split (course section 2)
# ---------------------------------------------------------------------------------------

def _check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    """(train, val, test) fractions summing to 1; percentages summing to 100 accepted."""
    try:
        values = [float(f) for f in fractions]
    except (TypeError, ValueError):
        raise DataError(f"split fractions must be numbers, got {fractions!r}") from None
    if len(values) == 2:
        values.append(0.0)
    if len(values) != 3:
        raise DataError(f"a split has 2 or 3 parts (train, validation, test), got {len(values)}")
    if not all(math.isfinite(v) for v in values) or any(v < 0 for v in values):
        raise DataError(f"split fractions must be >= 0, got {_fmt_parts(values)}")
    total = math.fsum(values)
    if abs(total - 100.0) <= 1e-6:
        values = [v / 100.0 for v in values]
    elif abs(total - 1.0) > 1e-6:
        raise DataError(f"split fractions must add up to 1 (or 100%), "
                        f"{_fmt_parts(values)} add up to {total:g}")
    total = math.fsum(values)
    return (values[0] / total, values[1] / total, values[2] / total)


def _fmt_parts(values: Sequence[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def _split_sizes(m: int, fractions: Sequence[float]) -> list[int]:
    """Sizes summing to ``m``, by largest remainder (Hamilton) rounding of ``f * m``;
    then every nonzero fraction gets at least one sample when ``m`` allows it, taken
    from the largest part."""
    raw = [round(f * m, 9) for f in fractions]
    sizes = [int(math.floor(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda s: (-(raw[s] - sizes[s]), s))
    for s in order[: m - sum(sizes)]:
        sizes[s] += 1
    for s, f in enumerate(fractions):
        if f > 0 and sizes[s] == 0:
            donor = max(range(len(sizes)), key=lambda t: (sizes[t], -t))
            if sizes[donor] > 1:
                sizes[donor] -= 1
                sizes[s] += 1
    return sizes


def _stratified_counts(class_sizes: Sequence[int], totals: Sequence[int]) -> np.ndarray:
    """Integer table ``n[c, s]`` with row sums ``class_sizes``, column sums ``totals``
    and each entry ``floor`` or ``ceil`` of the ideal ``m_c * T_s / m``.

    Controlled rounding: start from the floors; the leftover 1s form a 0/1 transport
    problem (rows need ``r_c``, columns need ``R_s``, only cells with a fractional part
    may take one), which always has a solution. Filled greedily by largest fractional
    part, with augmenting paths (a tiny max-flow) when the greedy choice gets stuck.
    """
    m = sum(class_sizes)
    K, S = len(class_sizes), len(totals)
    floor = np.zeros((K, S), dtype=np.int64)
    rem = np.zeros((K, S), dtype=np.int64)
    for c, mc in enumerate(class_sizes):
        for s, t in enumerate(totals):
            floor[c, s], rem[c, s] = divmod(mc * t, m)
    row_need = np.array(class_sizes) - floor.sum(axis=1)
    col_need = np.array(totals) - floor.sum(axis=0)
    extra = np.zeros((K, S), dtype=np.int64)

    cells = sorted(((c, s) for c in range(K) for s in range(S) if rem[c, s] > 0),
                   key=lambda cs: (-rem[cs], cs))
    for c, s in cells:
        if row_need[c] > 0 and col_need[s] > 0:
            extra[c, s] = 1
            row_need[c] -= 1
            col_need[s] -= 1

    # Augment: a path row c0 -> col s1 (free cell) -> row c1 (holding s1) -> col s2 ...
    # ending at a column that still needs one. Alternating paths keep the sums right.
    while row_need.sum() > 0:
        c0 = int(np.flatnonzero(row_need > 0)[0])
        parent: dict[tuple[str, int], tuple[str, int] | None] = {("r", c0): None}
        queue = [("r", c0)]
        end = None
        while queue and end is None:
            kind, i = queue.pop(0)
            if kind == "r":
                for s in range(S):
                    if rem[i, s] > 0 and extra[i, s] == 0 and ("c", s) not in parent:
                        parent[("c", s)] = (kind, i)
                        if col_need[s] > 0:
                            end = ("c", s)
                            break
                        queue.append(("c", s))
            else:
                for c in range(K):
                    if extra[c, i] == 1 and ("r", c) not in parent:
                        parent[("r", c)] = (kind, i)
                        queue.append(("r", c))
        if end is None:  # cannot happen for consistent inputs
            raise AssertionError("stratified split rounding failed")
        node = end
        while parent[node] is not None:
            prev = parent[node]
            if node[0] == "c":  # prev is a row: take the free cell
                extra[prev[1], node[1]] = 1
            else:  # node is a row, prev is a column: give that cell back
                extra[node[1], prev[1]] = 0
            node = prev
        row_need[c0] -= 1
        col_need[end[1]] -= 1
    return floor + extra


def split_indices(m: int, fractions: Sequence[float], seed: int,
                  labels: np.ndarray | Sequence | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded train / validation / test split of ``range(m)``.

    ``fractions``: (train, val, test), each >= 0, summing to 1 (or to 100 as
    percentages; two values mean no test set). Sizes are ``fraction * m`` rounded so they
    add up to ``m``; a nonzero fraction gets at least one sample when ``m`` allows.
    With ``labels`` the split is stratified: each class is shuffled on its own and split
    in the same proportions (each class's share of a part is its ideal count rounded
    down or up, and the part totals are the same as without stratification).
    Deterministic for a given ``seed`` (``np.random.default_rng(seed)``). Returns three
    sorted, disjoint int64 index arrays that together cover ``range(m)``.
    """
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise DataError(f"cannot split {m!r} samples; need at least 1")
    m = int(m)
    fr = _check_fractions(fractions)
    totals = _split_sizes(m, fr)
    rng = np.random.default_rng(seed)

    if labels is None:
        perm = rng.permutation(m)
        cuts = np.cumsum(totals)[:-1]
        parts = np.split(perm, cuts)
    else:
        labels = np.asarray(labels)
        if labels.shape != (m,):
            raise DataError(f"stratified split: {labels.shape[0] if labels.ndim else 0} "
                            f"labels for {m} samples")
        classes, inverse = np.unique(labels, return_inverse=True)
        members = [np.flatnonzero(inverse == c) for c in range(len(classes))]
        counts = _stratified_counts([len(g) for g in members], totals)
        pieces: list[list[np.ndarray]] = [[], [], []]
        for c, group in enumerate(members):
            shuffled = rng.permutation(group)
            for s, chunk in enumerate(np.split(shuffled, np.cumsum(counts[c])[:-1])):
                pieces[s].append(chunk)
        parts = [np.concatenate(p) for p in pieces]
    return tuple(np.sort(p).astype(np.int64) for p in parts)  # type: ignore[return-value]


_SPLIT_SEPARATORS = re.compile(r"[,;/:\s]+")


def parse_split(text: str) -> tuple[float, float, float]:
    """Parse ``"0.6,0.2,0.2"``, ``"60,20,20"`` (percent, ``%`` signs allowed) or
    ``"0.8,0.2"`` (no test set) into (train, val, test) fractions summing to 1."""
    if not isinstance(text, str):
        raise DataError(f"split must be text like '0.6,0.2,0.2', got {text!r}")
    parts = [p for p in _SPLIT_SEPARATORS.split(text.strip()) if p]
    values = []
    for p in parts:
        q = p.rstrip("%").strip()
        if not _is_number(q):
            raise DataError(f"bad split {text!r}: {p!r} is not a number "
                            "(write it like '0.6,0.2,0.2' or '60,20,20')")
        values.append(float(q))
    if len(values) not in (2, 3):
        raise DataError(f"bad split {text!r}: give 2 or 3 parts (train, validation, test), "
                        "like '0.6,0.2,0.2' or '60,20,20'")
    return _check_fractions(values)
