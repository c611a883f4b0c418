"""nnstudio.core.workflow: a project joined with a data file (features, target, classes,
split, scaling), for training and for evaluating on new data."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.data import DataError, Standardizer, load_dataset, read_csv, split_indices
from nnstudio.core.graph import NetworkError, layered
from nnstudio.core.settings import DataBinding, Project, TrainingSettings
from nnstudio.core.workflow import (
    FeatureCountError,
    apply_binding,
    binding_changes,
    feature_problems,
    prepare_evaluation,
    prepare_training,
    preprocessing_changes,
    resolve_features,
    task_for_loss,
)


def write(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_task_follows_the_loss():
    assert task_for_loss("mse") == "regression"
    for loss in ("bce", "ova", "cross_entropy"):
        assert task_for_loss(loss) == "classification"


def test_iris_split_is_stratified_and_scaler_fitted_on_training_rows_only(sample_data):
    settings = TrainingSettings(split=(0.6, 0.2, 0.2), standardize=True, seed=3)
    project = Project(layered([4, 10, 3], output="softmax"), settings)
    d = prepare_training(project, sample_data / "iris.csv")
    train, val, test = d.split
    assert (len(train), len(val), len(test)) == (90, 30, 30)
    assert d.Y_train.sum(axis=0).tolist() == [30, 30, 30]       # stratified
    assert d.Y_val.sum(axis=0).tolist() == [10, 10, 10]
    raw = load_dataset(sample_data / "iris.csv")
    expected = split_indices(150, (0.6, 0.2, 0.2), 3, raw.y)
    for got, want in zip(d.split, expected):
        np.testing.assert_array_equal(got, want)
    scaler = Standardizer.fit(raw.X[train])
    np.testing.assert_array_equal(d.scaler.mean, scaler.mean)
    np.testing.assert_array_equal(d.X, scaler.transform(raw.X))
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-12)
    assert abs(d.X_val.mean(axis=0)).max() > 1e-6                 # not fitted on validation
    assert d.classes == ["setosa", "versicolor", "virginica"]
    assert project.data is None and project.network.inputs()[0].feature is None  # unchanged


def test_apply_binding_sets_features_labels_targets_and_binding(sample_data):
    project = Project(layered([4, 10, 3], output="softmax"), TrainingSettings(standardize=True))
    d = prepare_training(project, sample_data / "iris.csv")
    changes = binding_changes(project.network, d)
    assert changes[1] == {"feature": "sepal_length", "label": "sepal_length"}
    apply_binding(project, d)
    net = project.network
    assert [n.feature for n in net.inputs()] == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert [(n.label, n.target) for n in net.outputs()] == [
        ("setosa", "setosa"), ("versicolor", "versicolor"), ("virginica", "virginica")]
    b = project.data
    assert b.target == "species" and b.task == "classification"
    assert b.classes == ["setosa", "versicolor", "virginica"]
    assert b.path == str((sample_data / "iris.csv").resolve())
    assert b.scaler == d.scaler.to_dict()
    assert binding_changes(net, d) == {}                           # already bound


def test_one_sigmoid_output_stands_for_the_positive_class(sample_data):
    project = Project(layered([2, 4, 1], output="sigmoid"))
    d = prepare_training(project, sample_data / "xor.csv")
    apply_binding(project, d)
    out = project.network.outputs()[0]
    assert (out.label, out.target) == ("label", "1")
    assert d.Y.shape == (200, 1) and set(np.unique(d.Y)) == {0.0, 1.0}


def test_polynomial_features_bind_inputs_to_powers(sample_data):
    project = Project(layered([3, 1]))
    d = prepare_training(project, sample_data / "polynomial.csv", poly=3)
    assert d.features == ["x", "x^2", "x^3"]
    x = load_dataset(sample_data / "polynomial.csv").X[:, 0]
    np.testing.assert_array_equal(d.X, np.column_stack([x, x**2, x**3]))
    apply_binding(project, d)
    # the stored features are used next time, without --poly
    again = prepare_training(project, sample_data / "polynomial.csv")
    assert again.features == ["x", "x^2", "x^3"]


def test_feature_count_mismatch_names_inputs_and_features(sample_data):
    project = Project(layered([1, 1]))
    with pytest.raises(FeatureCountError) as info:
        prepare_training(project, sample_data / "polynomial.csv", poly=3)
    msg = str(info.value)
    assert "1 input" in msg and "3 features (x, x^2, x^3)" in msg
    assert info.value.n_inputs == 1 and info.value.features == ["x", "x^2", "x^3"]
    project = Project(layered([3, 4, 1], output="sigmoid"))
    with pytest.raises(FeatureCountError, match=r"3 inputs but xor.csv has 2 non-target columns \(x1, x2\)"):
        prepare_training(project, sample_data / "xor.csv")


def test_partly_bound_inputs_name_the_unbound_neuron(tmp_path):
    csv = write(tmp_path, "a,b,y\n1,2,3\n2,3,5\n4,1,2\n")
    net = layered([2, 1])
    net.update_neuron(1, feature="a")
    with pytest.raises(DataError, match=r"input neuron x2 \(#2\) has no data feature"):
        resolve_features(net, read_csv(csv), "y")


def test_target_option_beats_binding_beats_last_column(tmp_path):
    csv = write(tmp_path, "a,b,y\n1,2,3\n2,3,5\n4,1,2\n5,5,1\n")
    project = Project(layered([2, 1]))
    assert prepare_training(project, csv).target == "y"
    project.data = DataBinding(path=str(csv), target="b")
    d = prepare_training(project, csv)
    assert d.target == "b" and d.features == ["a", "y"]
    assert prepare_training(project, csv, target="a").features == ["b", "y"]


def test_classes_from_the_binding_stay_in_their_order(tmp_path):
    csv = write(tmp_path, "x,label\n1,no\n2,yes\n3,no\n4,yes\n")
    project = Project(layered([1, 1], output="sigmoid"))
    project.data = DataBinding(path=str(csv), target="label", task="classification",
                               classes=["yes", "no"])
    d = prepare_training(project, csv)
    assert d.classes == ["yes", "no"]
    assert d.Y[:, 0].tolist() == [1, 0, 1, 0]       # classes[1] = "no" is the positive class
    other = write(tmp_path, "x,label\n1,no\n2,maybe\n", "other.csv")
    with pytest.raises(DataError, match=r"other.csv line 3, column 'label': class 'maybe' is not one"):
        prepare_evaluation(project, other)


def test_evaluation_applies_the_stored_scaler_and_needs_no_target_for_prediction(tmp_path):
    train = write(tmp_path, "x1,x2,y\n0,10,1\n2,30,2\n4,50,3\n6,70,4\n")
    project = Project(layered([2, 1]), TrainingSettings(standardize=True))
    apply_binding(project, prepare_training(project, train))
    new = write(tmp_path, "x1,x2\n3,40\n", "new.csv")
    e = prepare_evaluation(project, new, require_target=False)
    np.testing.assert_allclose(e.X, [[0.0, 0.0]], atol=1e-12)    # mean of the training data
    assert e.Y is None and e.dataset is None and e.target is None
    with pytest.raises(DataError, match=r"no column 'y' in new.csv"):
        prepare_evaluation(project, new)
    same = prepare_evaluation(project, train)
    np.testing.assert_array_equal(same.Y[:, 0], [1, 2, 3, 4])
    assert same.split is None and same.part("train")[0] is same.X


def test_scaler_of_the_wrong_size_is_a_clear_error(tmp_path):
    csv = write(tmp_path, "x1,x2,y\n0,10,1\n2,30,2\n")
    project = Project(layered([2, 1]))
    project.data = DataBinding(path=str(csv), target="y", scaler={"mean": [0.0], "std": [1.0]})
    with pytest.raises(DataError, match="stored feature scaling is for 1 feature but it has 2 inputs"):
        prepare_evaluation(project, csv)


def test_a_network_that_cannot_train_is_refused_before_the_data_is_read(tmp_path):
    net = layered([2, 1], output="sigmoid")
    net.update_neuron(3, activation="softmax")
    with pytest.raises(NetworkError, match="softmax"):
        prepare_training(Project(net), tmp_path / "does-not-matter.csv")


def test_missing_data_without_binding():
    with pytest.raises(DataError, match="no data file bound"):
        prepare_training(Project(layered([1, 1])))


# ------------------------------------------------------------- evaluation on a stored split
def test_prepare_evaluation_with_split_redraws_the_training_split(sample_data):
    settings = TrainingSettings(split=(0.6, 0.2, 0.2), standardize=True, seed=4)
    project = Project(layered([4, 10, 3], output="softmax"), settings)
    trained = prepare_training(project, sample_data / "iris.csv")
    apply_binding(project, trained)
    again = prepare_evaluation(project, split=True)
    for got, want in zip(again.split, trained.split):
        np.testing.assert_array_equal(got, want)
    for part in ("train", "val", "test"):
        np.testing.assert_array_equal(again.part(part)[0], trained.part(part)[0])
        np.testing.assert_array_equal(again.part(part)[1], trained.part(part)[1])
    assert prepare_evaluation(project).split is None               # default: every row
    # regression: an unstratified split, the same too
    project = Project(layered([4, 1]), TrainingSettings(split=(0.5, 0.25, 0.25), seed=2))
    trained = prepare_training(project, sample_data / "linear_multi.csv")
    apply_binding(project, trained)
    for got, want in zip(prepare_evaluation(project, split=True).split, trained.split):
        np.testing.assert_array_equal(got, want)


def test_prediction_does_not_read_the_target_column(tmp_path):
    train = write(tmp_path, "x,label\n1,a\n2,b\n3,a\n4,b\n")
    project = Project(layered([1, 1], output="sigmoid"))
    apply_binding(project, prepare_training(project, train))
    new = write(tmp_path, "x,label\n5,c\n6,\n", "new.csv")
    p = prepare_evaluation(project, new, require_target=False)
    assert p.target == "label" and p.Y is None and p.classes == ["a", "b"]
    np.testing.assert_array_equal(p.X[:, 0], [5, 6])
    with pytest.raises(DataError, match="target value is missing"):
        prepare_evaluation(project, new)


# -------------------------------------------------------------------- preprocessing changes
def test_preprocessing_changes_only_matter_with_a_training_state(sample_data):
    settings = TrainingSettings(standardize=True)
    project = Project(layered([1, 1]), settings)
    d = prepare_training(project, sample_data / "polynomial.csv")
    apply_binding(project, d)
    poly = prepare_training(project, sample_data / "polynomial.csv", poly=1, target="x")
    off = settings.with_changes(standardize=False)
    assert preprocessing_changes(project, d, off) == []            # nothing learned yet
    project.state = {"format": 1}
    assert preprocessing_changes(project, d) == []
    assert preprocessing_changes(project, d, off) == ["standardization on -> off"]
    assert preprocessing_changes(project, poly) == ["features x -> y", "target 'y' -> 'x'"]


def test_continued_training_keeps_the_stored_scaler(sample_data, tmp_path):
    settings = TrainingSettings(standardize=True)
    project = Project(layered([1, 1]), settings)
    apply_binding(project, prepare_training(project, sample_data / "linear_1var.csv"))
    stored = project.data.scaler
    rows = (sample_data / "linear_1var.csv").read_text(encoding="utf-8").splitlines()
    part = write(tmp_path, "\n".join(rows[:11]) + "\n")
    fresh = prepare_training(project, part)                        # untrained: fitted anew
    assert fresh.scaler.to_dict() != stored
    project.state = {"format": 1}                                  # trained: kept
    kept = prepare_training(project, part)
    assert kept.scaler.to_dict() == stored
    np.testing.assert_array_equal(kept.X, Standardizer.from_dict(stored).transform(kept.dataset.X))


# ------------------------------------------------------------------------ feature problems
def test_feature_problems_name_the_input():
    net = layered([3, 1])
    for nid, feature in ((1, "x^^2"), (2, "size (m^2)"), (3, "x*w")):
        net.update_neuron(nid, feature=feature)
    problems = feature_problems(net)
    assert [(p.code, p.neurons) for p in problems] == [("bad_feature", (1,)), ("bad_feature", (2,))]
    assert problems[0].message == "input x1: bad feature expression 'x^^2': 'x^^2' has more than one '^'"
    with_columns = feature_problems(net, ["x", "size (m^2)", "y"], "d.csv")
    assert [(p.code, p.neurons) for p in with_columns] == [("bad_feature", (1,)), ("unknown_column", (3,))]
    assert "feature 'x*w' uses column 'w', which d.csv does not have (columns: x, size (m^2), y)" \
        in with_columns[1].message
    net.update_neuron(3, feature=None)
    assert ("unbound_input", (3,)) in [(p.code, p.neurons) for p in feature_problems(net)]
    assert feature_problems(layered([2, 1])) == []                 # no features: the columns
    assert all(p.severity == "error" for p in problems)


def test_training_names_the_input_with_a_bad_feature(tmp_path):
    csv = write(tmp_path, "x,y\n1,2\n2,3\n")
    net = layered([1, 1])
    net.update_neuron(1, feature="x^^2")
    with pytest.raises(DataError, match=r"^input neuron x1 \(#1\): bad feature expression 'x\^\^2'"):
        prepare_training(Project(net), csv)
