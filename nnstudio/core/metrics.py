"""Predictions and evaluation: loss, accuracy and confusion matrix, MSE and R^2.

What counts as a predicted class depends on the loss:

* ``cross_entropy`` (softmax) and ``ova`` (one-versus-all): the class is the output with
  the highest value, ``argmax_k``; the true class is the argmax of the one-hot target row.
* ``bce``: each output is its own yes/no decision, ``a >= 0.5``; with one output this is
  ordinary binary classification (classes 0 and 1). With several bce outputs (multi-label)
  every output of every sample is one decision, pooled into one 2 x 2 matrix.

The confusion matrix has rows = true class, columns = predicted class.
For regression (``mse``): ``mse = 1/(mK) sum (y_hat - y)^2`` over all outputs (note: no
1/2, unlike the cost) and ``r2 = 1 - SS_res / SS_tot`` per output, averaged over outputs.
The ``loss`` reported is the data cost ``J`` (no regularization term).
"""

from __future__ import annotations

import numpy as np

from nnstudio.core import engine, losses
from nnstudio.core.compile import compile_network
from nnstudio.core.graph import Network


def predict(net: Network, X) -> np.ndarray:
    """Network outputs ``(m, K)`` in output order (probabilities for classifiers)."""
    cn = compile_network(net)
    return engine.forward(cn, cn.new_params(), X)


def predict_classes(loss: str, outputs: np.ndarray) -> np.ndarray:
    """Class indices from outputs ``(m, K)``: argmax, or ``a >= 0.5`` for bce (``(m, K)`` then)."""
    outputs = np.asarray(outputs)
    if loss == "bce":
        return (outputs >= 0.5).astype(np.intp)
    return np.argmax(outputs, axis=1)


def _decisions(loss: str, outputs, targets, axis: int):
    """(true, predicted) class arrays; ``axis`` is the output axis (1 for (m, K), 0 for (K, m))."""
    if loss == "bce":
        return (np.asarray(targets) >= 0.5).ravel(), (np.asarray(outputs) >= 0.5).ravel()
    return np.argmax(targets, axis=axis), np.argmax(outputs, axis=axis)


def accuracy_from_outputs(loss: str, outputs, targets, axis: int = 0) -> float:
    """Fraction of correct decisions; arrays ``(K, m)`` by default (the engine's layout)."""
    true, pred = _decisions(loss, outputs, targets, axis)
    return float(np.mean(true == pred)) if true.size else float("nan")


def confusion_matrix(true: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """``C[i, j]`` = number of samples of true class ``i`` predicted as ``j``."""
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (np.asarray(true, dtype=np.intp), np.asarray(pred, dtype=np.intp)), 1)
    return C


def r2_score(y_hat: np.ndarray, y: np.ndarray) -> float:
    """``1 - sum (y - y_hat)^2 / sum (y - mean y)^2`` per column, averaged over columns.
    A constant target column scores 1 if predicted exactly, else 0 (scikit-learn's rule)."""
    y_hat, y = np.asarray(y_hat, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ss_res = ((y - y_hat) ** 2).sum(axis=0)
    ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1),
                      np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(r2))


def evaluate(net: Network, X, Y) -> dict:
    """Classification: ``{"loss", "accuracy", "confusion_matrix"}`` (a list of lists);
    regression: ``{"loss", "mse", "r2"}``. ``Y`` is ``(m, K)`` like for training."""
    cn = compile_network(net)
    params = cn.new_params()
    data = engine.Data(cn, X, Y)
    if data.m == 0:
        raise ValueError("cannot evaluate on an empty data set")
    ev = engine.Evaluator(cn, params)
    loss = ev.data_cost(data)
    with np.errstate(all="ignore"):
        outputs = cn.outputs_by_column(ev.outputs(data))
    Y = np.asarray(Y, dtype=np.float64).reshape(outputs.shape)
    if cn.loss in losses.CLASSIFICATION:
        true, pred = _decisions(cn.loss, outputs, Y, axis=1)
        k = 2 if cn.loss == "bce" else cn.n_outputs
        return {"loss": loss, "accuracy": float(np.mean(true == pred)),
                "confusion_matrix": confusion_matrix(true, pred, k).tolist()}
    return {"loss": loss, "mse": float(np.mean((outputs - Y) ** 2)), "r2": r2_score(outputs, Y)}
