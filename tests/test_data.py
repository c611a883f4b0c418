"""Tests for nnstudio.core.data: CSV reading, features, datasets, one-hot, scaling, splits."""

from __future__ import annotations

import ast
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core import data
from nnstudio.core.data import (
    DataError,
    Dataset,
    Standardizer,
    Table,
    feature_values,
    format_feature,
    load_dataset,
    one_hot_compare,
    one_hot_eye,
    parse_feature,
    parse_split,
    polynomial_features,
    read_csv,
    split_indices,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_data"


def write(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8", newline="")
    return p


def error_of(fn, *args, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


# --- read_csv ------------------------------------------------------------------------------

def test_read_csv_quotes_bom_blank_lines_whitespace_crlf(tmp_path):
    text = ('\ufeffname , x1,"x 2"\r\n'
            '"Smith, J", 1.5 ,2\r\n'
            '\r\n'
            '   \r\n'
            '" padded ",  -3e2,"4"\r\n'
            ',,\r\n'
            'plain,0.25,.5\r\n')
    t = read_csv(write(tmp_path, text))
    assert t.columns == ("name", "x1", "x 2")
    assert t.cells == (("Smith, J", "1.5", "2"), ("padded", "-3e2", "4"),
                       ("plain", "0.25", ".5"))
    assert t.lines == (2, 5, 7)
    assert t.m == 3
    assert t.path == str(tmp_path / "data.csv")
    assert t.column("name") == ["Smith, J", "padded", "plain"]
    np.testing.assert_array_equal(t.numeric("x1"), [1.5, -300.0, 0.25])
    assert t.numeric("x 2").dtype == np.float64
    np.testing.assert_array_equal(t.numeric("x 2"), [2.0, 4.0, 0.5])


def test_read_csv_quoted_field_with_newline_keeps_line_numbers(tmp_path):
    t = read_csv(write(tmp_path, 'note,x\n"two\nlines",1\nok,oops\n'))
    assert t.cells[0] == ("two\nlines", "1")
    assert t.lines == (2, 4)
    assert "data.csv line 4, column 'x': 'oops' is not a number" == error_of(t.numeric, "x")


def test_read_csv_missing_file(tmp_path):
    msg = error_of(read_csv, tmp_path / "nope.csv")
    assert msg.startswith("file not found:") and "nope.csv" in msg


def test_read_csv_folder(tmp_path):
    assert "is a folder" in error_of(read_csv, tmp_path)


def test_read_csv_empty_and_blank_only(tmp_path):
    assert error_of(read_csv, write(tmp_path, "")) == \
        "data.csv is empty: expected a header line with column names"
    assert "is empty" in error_of(read_csv, write(tmp_path, "\n  \n\n", "blank.csv"))


def test_read_csv_header_only(tmp_path):
    assert error_of(read_csv, write(tmp_path, "x,y\n\n")) == "data.csv has a header but no data rows"


def test_read_csv_duplicate_column(tmp_path):
    msg = error_of(read_csv, write(tmp_path, "x, y ,x\n1,2,3\n"))
    assert msg == "data.csv line 1: column name 'x' appears twice (columns 1 and 3)"


def test_read_csv_empty_column_name(tmp_path):
    msg = error_of(read_csv, write(tmp_path, "x,,y\n1,2,3\n"))
    assert msg == "data.csv line 1: column 2 of the header has no name"


def test_read_csv_ragged_row_names_line_and_counts(tmp_path):
    msg = error_of(read_csv, write(tmp_path, "x1,x2,y\n1,2,3\n\n4,5\n"))
    assert msg == "data.csv line 4: expected 3 values (x1, x2, y), found 2"
    msg = error_of(read_csv, write(tmp_path, "x1,x2,y\n1,2,3,4\n"))
    assert "line 2" in msg and "expected 3" in msg and "found 4" in msg


def test_read_csv_not_utf8(tmp_path):
    msg = error_of(read_csv, write(tmp_path, b"x,y\n1,2\ncaf\xe9,3\n"))
    assert msg.startswith("data.csv line 3:") and "0xe9" in msg and "UTF-8" in msg


def test_read_csv_semicolons_hint(tmp_path):
    msg = error_of(read_csv, write(tmp_path, "x;y\n1,5;2\n"))
    assert msg.startswith("data.csv line 1:") and "semicolons" in msg


# --- Table.column / numeric ------------------------------------------------------------------

@pytest.fixture
def table(tmp_path) -> Table:
    return read_csv(write(tmp_path, "x1,x2,y\n1,2,3\n\n4,abc,6\n7,,9\n1,2,3\n"))


def test_table_numeric_error_names_line_column_value(table):
    assert error_of(table.numeric, "x2") == "data.csv line 4, column 'x2': 'abc' is not a number"
    np.testing.assert_array_equal(table.numeric("x1"), [1.0, 4.0, 7.0, 1.0])


def test_table_unknown_column_lists_columns(table):
    msg = error_of(table.column, "z")
    assert msg == "no column 'z' in data.csv; the columns are: x1, x2, y"
    assert "the columns are: x1, x2, y" in error_of(table.numeric, "z")


@pytest.mark.parametrize("cell, why", [
    ("", "the value is missing"),
    ("NaN", "'NaN' is not a number (missing values are not allowed)"),
    ("inf", "'inf' is not a number"),
    ('"1,5"', "'1,5' is not a number (use a dot for decimals: 1.5)"),
    ("1e999", "'1e999' is too large to be a number"),
    ("1_000", "'1_000' is not a number"),
])
def test_numeric_rejects(tmp_path, cell, why):
    t = read_csv(write(tmp_path, f"a,x\n0,1\n0,{cell}\n"))
    assert error_of(t.numeric, "x") == f"data.csv line 3, column 'x': {why}"


def test_long_messages_stay_short(tmp_path):
    cols = [f"p{i}" for i in range(30)]
    long_cell = "z" * 100
    text = ",".join(cols) + "\n" + ",".join(["1"] * 29 + [long_cell]) + "\n"
    t = read_csv(write(tmp_path, text))
    msg = error_of(t.column, "q")
    assert msg.endswith("p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, ... (30 in all)")
    msg = error_of(t.numeric, "p29")
    assert msg == "data.csv line 2, column 'p29': '" + "z" * 40 + "'... is not a number"


def test_in_memory_table_validates_and_numbers_rows():
    t = Table(path=None, columns=["a", "b"], cells=[["1", "x"]])
    assert t.columns == ("a", "b") and t.cells == (("1", "x"),) and t.lines == ()
    assert error_of(t.numeric, "b") == "line 2, column 'b': 'x' is not a number"
    assert "expected 2 values" in error_of(Table, None, ("a", "b"), (("1",),))
    assert "appears twice" in error_of(Table, None, ("a", "a"), (("1", "2"),))


# --- features ----------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, terms", [
    ("x", (("x", 1),)),
    ("x^2", (("x", 2),)),
    ("x1*x2", (("x1", 1), ("x2", 1))),
    ("x1^2*x2", (("x1", 2), ("x2", 1))),
    ("  x1 ^ 2 *  x2 ", (("x1", 2), ("x2", 1))),
    ("x2*x1", (("x2", 1), ("x1", 1))),
    ("x*x^2", (("x", 3),)),
    ("sepal length^10", (("sepal length", 10),)),
])
def test_parse_feature(expr, terms):
    assert parse_feature(expr) == terms


@pytest.mark.parametrize("expr, reason", [
    ("x^a", "the power after '^' must be a positive whole number, got 'a'"),
    ("x^0", "got '0'"),
    ("x^-1", "got '-1'"),
    ("x^2.5", "got '2.5'"),
    ("x^", "got ''"),
    ("", "it is empty"),
    ("   ", "it is empty"),
    ("x*", "a '*' has nothing on one side"),
    ("*x", "a '*' has nothing on one side"),
    ("^2", "a '^' has no column name before it"),
    ("x^2^3", "has more than one '^'"),
])
def test_parse_feature_errors(expr, reason):
    msg = error_of(parse_feature, expr)
    assert msg.startswith(f"bad feature expression {expr!r}: ")
    assert reason in msg


def test_format_feature_is_canonical_inverse():
    for expr in ["x", "x^2", "x1*x2", "x1^2*x2", "a^3*b*c^2"]:
        assert format_feature(parse_feature(expr)) == expr
        assert parse_feature(format_feature(parse_feature(expr))) == parse_feature(expr)
    assert format_feature(parse_feature(" x1 ^2 * x2 ")) == "x1^2*x2"
    assert "positive whole number" in error_of(format_feature, (("x", 0),))
    assert "cannot be used in a derived feature" in error_of(format_feature, (("a*b", 1),))
    assert "no columns" in error_of(format_feature, ())


def test_polynomial_features_order():
    assert polynomial_features(["x"], 1) == ["x"]
    assert polynomial_features(["x"], 4) == ["x", "x^2", "x^3", "x^4"]
    assert polynomial_features(["x1", "x2"], 2) == ["x1", "x2", "x1^2", "x1*x2", "x2^2"]
    assert polynomial_features(["x1", "x2"], 3) == [
        "x1", "x2", "x1^2", "x1*x2", "x2^2",
        "x1^3", "x1^2*x2", "x1*x2^2", "x2^3"]
    assert polynomial_features(["b", "a", "c"], 2) == [
        "b", "a", "c", "b^2", "b*a", "b*c", "a^2", "a*c", "c^2"]
    # n columns, degree D: C(n + D, D) - 1 monomials
    assert len(polynomial_features(["p", "q", "r", "s"], 3)) == math.comb(7, 3) - 1
    assert "degree must be" in error_of(polynomial_features, ["x"], 0)
    assert "listed twice" in error_of(polynomial_features, ["x", "x"], 2)


def test_feature_values_against_numpy(tmp_path):
    rng = np.random.default_rng(0)
    A = np.round(rng.normal(size=(20, 2)), 3)
    text = "x1,x2,y\n" + "".join(f"{a},{b},0\n" for a, b in A)
    t = read_csv(write(tmp_path, text))
    np.testing.assert_allclose(feature_values(t, "x1^2*x2"), A[:, 0] ** 2 * A[:, 1], rtol=1e-15)
    np.testing.assert_array_equal(feature_values(t, "x2"), A[:, 1])
    np.testing.assert_allclose(feature_values(t, "x1 * x1 * x2^3"),
                               A[:, 0] ** 2 * A[:, 1] ** 3, rtol=1e-14)
    assert feature_values(t, "x1").shape == (20,)
    assert "the columns are: x1, x2, y" in error_of(feature_values, t, "x3^2")


def test_column_named_like_an_expression(tmp_path):
    t = read_csv(write(tmp_path, "size (m^2),y\n2,1\n3,2\n"))
    np.testing.assert_array_equal(feature_values(t, "size (m^2)"), [2.0, 3.0])
    d = load_dataset(t)
    assert d.features == ["size (m^2)"]


# --- load_dataset ----------------------------------------------------------------------------

def test_load_dataset_defaults_regression(tmp_path):
    p = write(tmp_path, "x1,x2,y\n1,2,0.5\n3,4,1.5\n5,6,2.5\n")
    d = load_dataset(str(p))
    assert d.features == ["x1", "x2"] and d.target == "y" and d.task == "regression"
    assert d.X.dtype == np.float64 and d.X.shape == (3, 2) and (d.m, d.n) == (3, 2)
    np.testing.assert_array_equal(d.X, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(d.y, [0.5, 1.5, 2.5])
    assert d.y.dtype == np.float64
    assert d.classes is None and d.source == str(p)


def test_load_dataset_derived_features_and_target_choice(tmp_path):
    p = write(tmp_path, "x1,x2,y\n1,2,0\n3,4,1\n5,6,2\n")
    d = load_dataset(p, features=["x1", "x1 ^ 2", "x1*x2"], task="regression")
    assert d.features == ["x1", "x1^2", "x1*x2"] and d.target == "y"
    np.testing.assert_array_equal(d.X, [[1, 1, 2], [3, 9, 12], [5, 25, 30]])
    np.testing.assert_array_equal(d.y, [0, 1, 2])
    d1 = load_dataset(p, features=["x1^3"], target="x2", task="regression")
    assert d1.target == "x2" and d1.features == ["x1^3"]
    np.testing.assert_array_equal(d1.X[:, 0], [1, 27, 125])
    np.testing.assert_array_equal(d1.y, [2, 4, 6])
    d2 = load_dataset(p, target="x1", task="regression")
    assert d2.features == ["x2", "y"]


def test_load_dataset_error_unknown_target_and_feature(tmp_path):
    p = write(tmp_path, "x1,x2,y\n1,2,0\n3,4,1\n")
    assert error_of(load_dataset, p, target="z") == \
        "no column 'z' in data.csv; the columns are: x1, x2, y"
    assert error_of(load_dataset, p, features=["x1", "x3^2"]) == \
        "no column 'x3' in data.csv; the columns are: x1, x2, y"


def test_load_dataset_error_target_as_feature(tmp_path):
    p = write(tmp_path, "x1,x2,y\n1,2,0\n3,4,1\n")
    msg = error_of(load_dataset, p, features=["x1", "y"])
    assert "'y' is the target column; it cannot also be a feature" in msg
    assert "target column" in error_of(load_dataset, p, features=["x1*y"])
    assert "listed twice" in error_of(load_dataset, p, features=["x1*x2", "x1 * x2"])
    assert "at least one feature" in error_of(load_dataset, p, features=[])


def test_load_dataset_error_text_in_feature(tmp_path):
    p = write(tmp_path, "x1,x2,y\n1,2,0\n\n3,four,1\n")
    assert error_of(load_dataset, p) == "data.csv line 4, column 'x2': 'four' is not a number"
    p = write(tmp_path, "x1,x2,y\n1,2,0\n3,,1\n", "gap.csv")
    assert error_of(load_dataset, p, features=["x2^2"]) == \
        "gap.csv line 3, column 'x2': the value is missing"


def test_load_dataset_error_missing_target(tmp_path):
    p = write(tmp_path, "x,label\n1,a\n2,\n3,b\n")
    assert error_of(load_dataset, p) == "data.csv line 3, column 'label': the target value is missing"
    p = write(tmp_path, "x,y\n1,2.5\n2,3.5\n3,\n", "reg.csv")
    assert "reg.csv line 4, column 'y'" in error_of(load_dataset, p, task="regression")


def test_load_dataset_error_one_class(tmp_path):
    p = write(tmp_path, "x,label\n1,cat\n2,cat\n")
    assert error_of(load_dataset, p) == \
        "column 'label' in data.csv has only 1 class ('cat'); classification needs at least 2"


def test_load_dataset_error_text_target_for_regression(tmp_path):
    p = write(tmp_path, "x,label\n1,cat\n2,dog\n")
    assert error_of(load_dataset, p, task="regression") == \
        "data.csv line 2, column 'label': 'cat' is not a number"
    assert "task must be" in error_of(load_dataset, p, task="clustering")


def test_infer_task(tmp_path):
    def task_of(ys):
        p = write(tmp_path, "x,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(ys)))
        return load_dataset(p).task
    assert task_of(["a", "b", "a"]) == "classification"
    assert task_of(["1", "2", "x", "1"]) == "classification"  # any text cell
    assert task_of([0, 1, 1, 0]) == "classification"
    assert task_of([i % 10 for i in range(40)]) == "classification"  # 10 distinct
    assert task_of([i % 11 for i in range(44)]) == "regression"      # 11 distinct
    assert task_of(["0.0", "1.0", "1", "0"]) == "classification"
    assert task_of([0.5, 1, 1, 0]) == "regression"                   # not all whole
    assert task_of([7, 10, 13, 16]) == "regression"                  # all distinct: tiny regression


def test_classes_inferred_sorted_numerically_or_as_text(tmp_path):
    p = write(tmp_path, "x,y\n" + "".join(f"{i},{v}\n" for i, v in
                                           enumerate([10, 2, 10, 2, "-1", "2.0"])))
    d = load_dataset(p)
    assert d.classes == ["-1", "2", "10"]
    np.testing.assert_array_equal(d.y, [2, 1, 2, 1, 0, 1])
    assert d.y.dtype == np.int64
    p = write(tmp_path, "x,y\n1,b\n2,B\n3,a\n4,b\n", "t.csv")
    d = load_dataset(p)
    assert d.classes == ["B", "a", "b"]
    np.testing.assert_array_equal(d.y, [2, 0, 1, 2])


def test_classes_given_keep_indices_stable(tmp_path):
    p = write(tmp_path, "x,species\n1,virginica\n2,setosa\n3,virginica\n")
    d = load_dataset(p, classes=["setosa", "versicolor", "virginica"])
    assert d.task == "classification"
    assert d.classes == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(d.y, [2, 0, 2])
    assert d.targets(3).shape == (3, 3)
    msg = error_of(load_dataset, p, classes=["setosa", "versicolor"])
    assert msg == ("data.csv line 2, column 'species': class 'virginica' is not one of the "
                   "network's classes (setosa, versicolor)")
    # numeric labels match whatever way the number is written
    p = write(tmp_path, "x,y\n1,1.0\n2,0\n3,2\n", "n.csv")
    np.testing.assert_array_equal(load_dataset(p, classes=["0", "1", "2"]).y, [1, 0, 2])


# --- Dataset.targets and subset ----------------------------------------------------------------

def test_targets_regression(tmp_path):
    d = load_dataset(write(tmp_path, "x,y\n1,0.5\n2,1.5\n3,2.25\n"))
    T = d.targets(1)
    assert T.shape == (3, 1) and T.dtype == np.float64
    np.testing.assert_array_equal(T[:, 0], [0.5, 1.5, 2.25])
    assert "needs 1 output neuron, not 2" in error_of(d.targets, 2)
    assert "at least 1 output" in error_of(d.targets, 0)


def test_targets_binary_and_one_hot(tmp_path):
    d = load_dataset(write(tmp_path, "x,label\n1,no\n2,yes\n3,yes\n4,no\n"))
    assert d.classes == ["no", "yes"]
    np.testing.assert_array_equal(d.targets(1), [[0], [1], [1], [0]])
    np.testing.assert_array_equal(d.targets(2), [[1, 0], [0, 1], [0, 1], [1, 0]])
    assert "not 3" in error_of(d.targets, 3)


def test_targets_errors_for_three_classes():
    d = load_dataset(SAMPLES / "iris.csv")
    msg = error_of(d.targets, 1)
    assert msg == ("1 output neuron can only separate 2 classes, but 'species' has 3 "
                   "(setosa, versicolor, virginica); use 3 output neurons, one per class")
    msg = error_of(d.targets, 2)
    assert "needs 3 output neurons" in msg and "not 2" in msg
    T = d.targets(3)
    assert T.shape == (150, 3)
    np.testing.assert_array_equal(T.sum(axis=0), [50, 50, 50])
    np.testing.assert_array_equal(T.argmax(axis=1), d.y)


def test_subset(tmp_path):
    d = load_dataset(SAMPLES / "iris.csv")
    s = d.subset(np.array([0, 50, 149]))
    assert s.m == 3 and s.n == 4 and s.classes == d.classes and s.features == d.features
    np.testing.assert_array_equal(s.y, [0, 1, 2])
    np.testing.assert_array_equal(s.X[0], [5.1, 3.5, 1.4, 0.2])
    s.classes.append("x")
    assert d.classes == ["setosa", "versicolor", "virginica"]
    assert d.subset(d.y == 2).m == 50


# --- one-hot -------------------------------------------------------------------------------------

def test_one_hot_methods_agree_with_hand_written_matrix():
    y = np.array([2, 0, 1, 2, 0])
    expected = np.array([[0, 0, 1],
                         [1, 0, 0],
                         [0, 1, 0],
                         [0, 0, 1],
                         [1, 0, 0]], dtype=float)
    a, b = one_hot_eye(y, 3), one_hot_compare(y, 3)
    np.testing.assert_array_equal(a, expected)
    np.testing.assert_array_equal(b, expected)
    assert a.dtype == b.dtype == np.float64 and a.shape == b.shape == (5, 3)
    # a class with no sample still gets its (all zero) column
    np.testing.assert_array_equal(one_hot_eye(np.array([0, 1]), 4), [[1, 0, 0, 0], [0, 1, 0, 0]])
    rng = np.random.default_rng(3)
    y = rng.integers(0, 7, 500)
    np.testing.assert_array_equal(one_hot_eye(y, 7), one_hot_compare(y, 7))


def test_one_hot_rejects_out_of_range():
    assert "outside 0..2" in error_of(one_hot_eye, np.array([0, 3]), 3)
    assert "outside 0..2" in error_of(one_hot_compare, np.array([-1, 0]), 3)


# --- Standardizer ---------------------------------------------------------------------------------

def test_standardizer_fitted_on_train_split_only():
    d = load_dataset(SAMPLES / "linear_multi.csv")
    train, val, test = split_indices(d.m, (0.6, 0.2, 0.2), seed=7)
    s = Standardizer.fit(d.X[train])
    np.testing.assert_array_equal(s.mean, np.mean(d.X[train], axis=0))
    np.testing.assert_array_equal(s.std, np.std(d.X[train], axis=0))
    assert not np.allclose(s.mean, d.X.mean(axis=0), rtol=0, atol=1e-12)
    Z = s.transform(d.X[train])
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(s.inverse(s.transform(d.X[test])), d.X[test], rtol=1e-13)
    # the other splits are scaled with the training statistics, so are not exactly 0/1
    assert abs(s.transform(d.X[val]).mean()) > 1e-6


def test_standardizer_constant_column_and_1d():
    X = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    s = Standardizer.fit(X)
    np.testing.assert_array_equal(s.std, [math.sqrt(8 / 3), 1.0])
    np.testing.assert_array_equal(s.transform(X)[:, 1], [0.0, 0.0, 0.0])
    s1 = Standardizer.fit(np.array([0.1, 0.1, 0.1]))
    assert s1.std.tolist() == [1.0]
    assert s1.transform(np.array([0.1, 1.1])).shape == (2,)
    assert "fitted on 2 feature(s)" in error_of(s.transform, np.ones((4, 3)))
    assert "0 rows" in error_of(Standardizer.fit, np.ones((0, 2)))


def test_standardizer_dict_round_trip_is_exact():
    rng = np.random.default_rng(11)
    s = Standardizer.fit(rng.normal(3.0, 7.0, (37, 5)) / 3.0)
    d = s.to_dict()
    assert set(d) == {"mean", "std"}
    assert all(type(v) is float for v in d["mean"] + d["std"])
    back = Standardizer.from_dict(json.loads(json.dumps(d)))
    assert back.mean.tobytes() == s.mean.tobytes()
    assert back.std.tobytes() == s.std.tobytes()
    assert "'mean' and 'std'" in error_of(Standardizer.from_dict, {"mean": [1.0]})
    assert "must be > 0" in error_of(Standardizer.from_dict, {"mean": [1.0], "std": [0.0]})
    assert "list of numbers" in error_of(Standardizer.from_dict, {"mean": ["a"], "std": [1.0]})
    assert "2 means but 1" in error_of(Standardizer.from_dict, {"mean": [1, 2], "std": [1.0]})


# --- splits ----------------------------------------------------------------------------------------

def check_partition(parts, m):
    allidx = np.concatenate(parts)
    assert len(allidx) == m
    np.testing.assert_array_equal(np.sort(allidx), np.arange(m))
    for p in parts:
        assert p.dtype == np.int64
        np.testing.assert_array_equal(p, np.sort(p))


def test_split_sizes_disjoint_cover_and_deterministic():
    tr, va, te = split_indices(100, (0.6, 0.2, 0.2), seed=1)
    assert (len(tr), len(va), len(te)) == (60, 20, 20)
    check_partition((tr, va, te), 100)
    again = split_indices(100, (0.6, 0.2, 0.2), seed=1)
    for a, b in zip((tr, va, te), again):
        np.testing.assert_array_equal(a, b)
    other = split_indices(100, (0.6, 0.2, 0.2), seed=2)
    assert not np.array_equal(tr, other[0])
    assert [len(p) for p in split_indices(10, (60, 30, 10), seed=0)] == [6, 3, 1]
    assert [len(p) for p in split_indices(7, (0.5, 0.5, 0.0), seed=0)] == [4, 3, 0]
    assert [len(p) for p in split_indices(5, (0.8, 0.2), seed=0)] == [4, 1, 0]


def test_split_rounding_sums_and_minimum_one():
    for m in range(1, 60):
        for fr in [(0.6, 0.2, 0.2), (0.7, 0.15, 0.15), (0.98, 0.01, 0.01), (1 / 3,) * 3]:
            parts = split_indices(m, fr, seed=m)
            check_partition(parts, m)
            sizes = [len(p) for p in parts]
            if m >= 3:
                assert min(sizes) >= 1
            for s, f in zip(sizes, fr):
                assert abs(s - f * m) < 2
    assert [len(p) for p in split_indices(10, (0.98, 0.01, 0.01), seed=0)] == [8, 1, 1]


def test_split_fraction_errors():
    assert error_of(split_indices, 10, (0.6, 0.2, 0.1), 0) == \
        "split fractions must add up to 1 (or 100%), 0.6, 0.2, 0.1 add up to 0.9"
    assert ">= 0" in error_of(split_indices, 10, (1.2, -0.2, 0.0), 0)
    assert "2 or 3 parts" in error_of(split_indices, 10, (0.25,) * 4, 0)
    assert "at least 1" in error_of(split_indices, 0, (0.6, 0.2, 0.2), 0)
    assert "labels for 10 samples" in error_of(split_indices, 10, (0.5, 0.5, 0), 0,
                                               labels=np.zeros(9))


def test_stratified_split_on_iris():
    d = load_dataset(SAMPLES / "iris.csv")
    parts = split_indices(d.m, (0.6, 0.2, 0.2), seed=42, labels=d.y)
    check_partition(parts, 150)
    for p, n in zip(parts, (30, 10, 10)):
        np.testing.assert_array_equal(np.bincount(d.y[p], minlength=3), [n, n, n])
    again = split_indices(d.m, (0.6, 0.2, 0.2), seed=42, labels=d.y)
    for a, b in zip(parts, again):
        np.testing.assert_array_equal(a, b)
    other = split_indices(d.m, (0.6, 0.2, 0.2), seed=43, labels=d.y)
    assert not np.array_equal(parts[0], other[0])
    # text labels work too
    labels = np.array(d.classes)[d.y]
    parts = split_indices(d.m, (70, 15, 15), seed=0, labels=labels)
    assert [len(p) for p in parts] == [105, 23, 22]
    for p in parts:
        counts = np.unique(labels[p], return_counts=True)[1]
        assert counts.max() - counts.min() <= 1


def test_stratified_split_uneven_classes_rounds_to_exact_totals():
    labels = np.array([0] * 7 + [1] * 5 + [2] * 3)
    parts = split_indices(15, (0.5, 0.3, 0.2), seed=5, labels=labels)
    check_partition(parts, 15)
    sizes = [len(p) for p in parts]
    assert sizes == [8, 4, 3]   # 7.5, 4.5, 3 -> largest remainder, ties to train
    table = np.array([np.bincount(labels[p], minlength=3) for p in parts]).T
    ideal = np.outer([7, 5, 3], sizes) / 15
    assert np.all(table >= np.floor(ideal)) and np.all(table <= np.ceil(ideal))
    np.testing.assert_array_equal(table.sum(axis=1), [7, 5, 3])


def test_stratified_counts_always_floor_or_ceil():
    # a case where filling by largest fractional part alone gets stuck
    sizes, totals = [30, 37, 2, 15, 25, 5, 20], [52, 15, 67]
    n = data._stratified_counts(sizes, totals)
    np.testing.assert_array_equal(n.sum(axis=1), sizes)
    np.testing.assert_array_equal(n.sum(axis=0), totals)
    ideal = np.outer(sizes, totals) / sum(sizes)
    assert np.all(n >= np.floor(ideal)) and np.all(n <= np.ceil(ideal))
    rng = np.random.default_rng(0)
    for _ in range(300):
        k = int(rng.integers(1, 9))
        sizes = [int(v) for v in rng.integers(1, 15, k)]
        m = sum(sizes)
        fr = rng.dirichlet(np.ones(3))
        totals = data._split_sizes(m, fr)
        n = data._stratified_counts(sizes, totals)
        np.testing.assert_array_equal(n.sum(axis=1), sizes)
        np.testing.assert_array_equal(n.sum(axis=0), totals)
        ideal = np.outer(sizes, totals) / m
        assert np.all(n >= np.floor(ideal - 1e-9)) and np.all(n <= np.ceil(ideal + 1e-9))


def test_parse_split():
    assert parse_split("0.6,0.2,0.2") == pytest.approx((0.6, 0.2, 0.2), abs=1e-15)
    assert parse_split("60,20,20") == pytest.approx((0.6, 0.2, 0.2), abs=1e-15)
    assert parse_split(" 60% / 20% / 20% ") == pytest.approx((0.6, 0.2, 0.2), abs=1e-15)
    assert parse_split("0.8,0.2") == (0.8, 0.2, 0.0)
    assert parse_split("80, 20") == (0.8, 0.2, 0.0)
    assert "add up to 0.9" in error_of(parse_split, "0.6,0.2,0.1")
    assert "'x' is not a number" in error_of(parse_split, "0.6,x,0.2")
    assert "2 or 3 parts" in error_of(parse_split, "1")
    assert "2 or 3 parts" in error_of(parse_split, "")


# --- the sample files ----------------------------------------------------------------------------

def test_iris_sample():
    d = load_dataset(SAMPLES / "iris.csv")
    assert (d.m, d.n) == (150, 4) and d.task == "classification" and d.target == "species"
    assert d.features == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert d.classes == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(np.bincount(d.y), [50, 50, 50])
    # Fisher's values (R's iris): column means and two rows UCI gets wrong
    np.testing.assert_allclose(d.X.mean(axis=0), [5.843333, 3.057333, 3.758, 1.199333], atol=1e-6)
    np.testing.assert_array_equal(d.X[34], [4.9, 3.1, 1.5, 0.2])
    np.testing.assert_array_equal(d.X[37], [4.9, 3.6, 1.4, 0.1])


@pytest.mark.parametrize("name, m, n, task, classes", [
    ("linear_1var.csv", 50, 1, "regression", None),
    ("linear_2var.csv", 100, 2, "regression", None),
    ("linear_multi.csv", 200, 4, "regression", None),
    ("polynomial.csv", 30, 1, "regression", None),
    ("linear_classes.csv", 200, 2, "classification", ["0", "1"]),
    ("xor.csv", 200, 2, "classification", ["0", "1"]),
    ("xor4.csv", 4, 2, "classification", ["0", "1"]),
    ("circles.csv", 300, 2, "classification", ["0", "1"]),
    ("spiral.csv", 300, 2, "classification", ["0", "1", "2"]),
    ("blobs.csv", 300, 2, "classification", ["alpha", "beta", "delta", "gamma"]),
])
def test_sample_files_load(name, m, n, task, classes):
    d = load_dataset(SAMPLES / name)
    assert (d.m, d.n, d.task, d.classes) == (m, n, task, classes)


def test_linear_samples_recover_their_formulas():
    def fit(name, features=None):
        d = load_dataset(SAMPLES / name, features=features)
        A = np.c_[np.ones(d.m), d.X]
        return np.linalg.lstsq(A, d.y, rcond=None)[0]
    np.testing.assert_allclose(fit("linear_1var.csv"), [4, 3], atol=0.8)
    np.testing.assert_allclose(fit("linear_2var.csv"), [5, 2, -3], atol=0.4)
    np.testing.assert_allclose(fit("linear_multi.csv"), [40, 2.2, 12, -0.9, -3.5],
                               rtol=0.1, atol=0.5)
    d = load_dataset(SAMPLES / "polynomial.csv", features=polynomial_features(["x"], 3))
    assert d.features == ["x", "x^2", "x^3"]


def test_linear_classes_are_linearly_separable_and_xor4_exact():
    d = load_dataset(SAMPLES / "linear_classes.csv")
    side = (d.X @ np.array([1.0, 2.0]) - 1.0) > 0
    np.testing.assert_array_equal(side.astype(int), d.y)
    d = load_dataset(SAMPLES / "xor4.csv")
    np.testing.assert_array_equal(d.X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(d.y, [0, 1, 1, 0])


def _load_make_samples():
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_make_samples_is_deterministic_and_matches_committed_files(tmp_path):
    mod = _load_make_samples()
    a = mod.generate(str(tmp_path / "a"))
    b = mod.generate(str(tmp_path / "b"))
    names = sorted(Path(p).name for p in a)
    assert names == sorted(mod.SAMPLES) and "iris.csv" not in names
    for pa, pb in zip(a, b):
        assert Path(pa).read_bytes() == Path(pb).read_bytes()
        committed = SAMPLES / Path(pa).name
        assert committed.read_bytes() == Path(pa).read_bytes(), \
            f"{committed.name} differs from what make_samples.py writes; rerun it"
        assert len(read_csv(pa).cells) <= 500


def test_data_module_imports_only_stdlib_and_numpy():
    tree = ast.parse(Path(data.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "csv", "io", "itertools", "math", "os", "re",
                        "dataclasses", "typing", "numpy"}, imported


# --- numbers too large (issue 3) ---------------------------------------------------------------

def test_feature_values_overflow_names_the_feature_the_line_and_the_values(tmp_path):
    t = read_csv(write(tmp_path, "x,z,y\n0.5,1,0\n\n2,1e200,1\n3,1e200,2\n"))
    with np.errstate(all="raise"):                                 # no NumPy warning escapes
        msg = error_of(feature_values, t, "x^1100")
        assert msg == ("data.csv line 4: feature 'x^1100' is too large to compute (x = 2): it "
                       "overflows a 64-bit float; use a smaller power or rescale the column")
        assert error_of(feature_values, t, "z * z^1").startswith(
            "data.csv line 4: feature 'z^2' is too large to compute (z = 1e200)")
        assert "line 4: feature 'x*z^2' is too large to compute (x = 2, z = 1e200)" in \
            error_of(feature_values, t, "x*z^2")
        np.testing.assert_array_equal(feature_values(t, "x^2*z"), [0.25, 4e200, 9e200])
    assert "line 4" in error_of(load_dataset, t, features=["x^1100"])


def test_standardizer_names_the_column_and_line_of_a_non_finite_value():
    X = np.array([[1.0, 2.0], [3.0, np.inf], [5.0, np.nan]])
    assert error_of(Standardizer.fit, X) == \
        "row 2: cannot fit feature scaling: column 2 is inf (missing or infinite values)"
    assert error_of(Standardizer.fit, X, names=["a", "b"], lines=[2, 7, 9], source="/d/x.csv") == \
        "x.csv line 7: cannot fit feature scaling: feature 'b' is inf (missing or infinite values)"


def test_standardizer_fits_huge_values_without_overflow():
    X = np.array([[1e300, 1.0], [2e300, 2.0], [1.0, 3.0], [-1.7e308, 4.0]])
    with np.errstate(all="raise"):
        s = Standardizer.fit(X)
        Z = s.transform(X)
    col = X[:, 0] / 1.7e308
    assert s.mean[0] == pytest.approx(1.7e308 * col.mean(), rel=1e-12)
    assert s.std[0] == pytest.approx(1.7e308 * col.std(), rel=1e-12)
    assert np.all(np.isfinite(Z))
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-12)
    # ordinary columns are computed exactly as before (bit for bit)
    assert s.mean[1] == np.mean(X[:, 1]) and s.std[1] == np.std(X[:, 1])
    with np.errstate(all="raise"):                                 # tiny: squares underflow
        tiny = Standardizer.fit(np.array([0.0, 1e-300]))
        assert tiny.std[0] == pytest.approx(5e-301, rel=1e-12)
        assert np.isinf(tiny.transform(np.array([1e300])))[0]     # far outside: inf, quietly


def test_read_header_and_canonical_feature(tmp_path):
    path = write(tmp_path, "\ufeff\n  \n a , b ,size (m^2)\n1,2,3\n")
    assert data.read_header(path) == ("a", "b", "size (m^2)")
    assert "is empty" in error_of(data.read_header, write(tmp_path, "\n\n", "e.csv"))
    assert "file not found" in error_of(data.read_header, tmp_path / "nope.csv")
    t = read_csv(path)
    assert data.canonical_feature(t, "a * b^2 ") == "a*b^2"
    assert data.canonical_feature(t, "size (m^2)") == "size (m^2)"
    assert "no column 'c'" in error_of(data.canonical_feature, t, "c^2")
