"""Closed-form solutions against numpy, the course formula, and gradient descent."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnstudio.core import engine
from nnstudio.core.compile import compile_network
from nnstudio.core.graph import Network, NetworkError, layered
from nnstudio.core.settings import TrainingSettings
from nnstudio.core.solve import NotSolvable, SolveWarning, solve, solve_details
from nnstudio.core.training import Trainer, initialize


def regression_data(m=60, n=3, K=2, seed=0, noise=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n)) * [1.0, 3.0, 0.5][:n] + [2.0, -1.0, 0.0][:n]
    W = rng.normal(size=(n, K))
    Y = X @ W + rng.normal(size=K) + noise * rng.normal(size=(m, K))
    return X, Y


def apply(net, weights, biases):
    out = net.copy()
    out.set_parameters(weights, biases)
    return out


def test_closed_form_equals_lstsq():
    X, Y = regression_data()
    net = layered([3, 2], output="linear")
    w, b = solve(net, X, Y)
    A = np.column_stack([X, np.ones(len(X))])
    theta, *_ = np.linalg.lstsq(A, Y, rcond=None)
    ins, outs = [n.id for n in net.inputs()], [n.id for n in net.outputs()]
    for k, o in enumerate(outs):
        for j, i in enumerate(ins):
            assert w[(i, o)] == pytest.approx(theta[j, k], abs=1e-8)
        assert b[o] == pytest.approx(theta[-1, k], abs=1e-8)


def test_each_output_uses_only_its_own_inputs():
    X, Y = regression_data()
    net = layered([3, 2], output="linear")
    ins, outs = [n.id for n in net.inputs()], [n.id for n in net.outputs()]
    net.remove_connection(ins[1], outs[0])
    w, b = solve(net, X, Y)
    assert (ins[1], outs[0]) not in w and set(w) == {c.key for c in net.connections()}
    A = np.column_stack([X[:, [0, 2]], np.ones(len(X))])
    theta, *_ = np.linalg.lstsq(A, Y[:, 0], rcond=None)
    assert [w[(ins[0], outs[0])], w[(ins[2], outs[0])], b[outs[0]]] == pytest.approx(theta, abs=1e-8)


@pytest.mark.parametrize("l2", [0.1, 3.0, 50.0])
def test_ridge_equals_the_course_formula(l2):
    X, Y = regression_data(m=25)
    net = layered([3, 2], output="linear")
    w, b = solve(net, X, Y, l2=l2)
    A = np.column_stack([X, np.ones(len(X))])
    I0 = np.eye(4)
    I0[-1, -1] = 0
    theta = np.linalg.solve(A.T @ A + 2 * l2 * I0, A.T @ Y)
    ins, outs = [n.id for n in net.inputs()], [n.id for n in net.outputs()]
    got = np.array([[w[(i, o)] for o in outs] for i in ins] + [[b[o] for o in outs]])
    np.testing.assert_allclose(got, theta, rtol=1e-10, atol=1e-12)
    # and it is where the gradient of the regularized cost vanishes
    cn = compile_network(apply(net, w, b))
    assert np.max(np.abs(engine.gradient(cn, cn.new_params(), X, Y, l2=l2))) < 1e-10


def test_gradient_descent_reaches_the_closed_form_cost():
    X, Y = regression_data(m=80, K=1)
    X = (X - X.mean(axis=0)) / X.std(axis=0)          # standardized: one learning rate fits all
    net = layered([3, 1], output="linear")
    initialize(net, "glorot", seed=0)
    for l2 in (0.0, 2.0):
        closed = apply(net, *solve(net, X, Y, l2=l2))
        cn = compile_network(closed)
        best = engine.cost(cn, cn.new_params(), X, Y, l2=l2)
        tr = Trainer(net, TrainingSettings(optimizer="gd", learning_rate=0.5, l2=l2), X, Y)
        for rec in tr.train(400):
            pass
        assert rec.train_cost == pytest.approx(best, rel=1e-6)
        assert rec.train_cost >= best * (1 - 1e-12)


def test_singular_design_gives_the_min_norm_solution_with_a_warning():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 1))
    X = np.hstack([x, 2 * x])                          # the second feature duplicates the first
    Y = 3 * x + 1
    net = layered([2, 1], output="linear")
    with pytest.warns(SolveWarning, match="not unique"):
        w, b = solve(net, X, Y)
    A = np.column_stack([X, np.ones(20)])
    theta = np.linalg.pinv(A) @ Y[:, 0]
    ins, out = [n.id for n in net.inputs()], net.outputs()[0].id
    assert [w[(ins[0], out)], w[(ins[1], out)], b[out]] == pytest.approx(theta, abs=1e-10)
    details = solve_details(net, X, Y)
    assert details.ranks[out] == (2, 3) and details.notes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solve(net, X, Y, l2=0.5)                       # ridge makes it unique: no warning


def test_networks_without_a_closed_form_are_refused():
    X, Y = regression_data(K=1)
    with pytest.raises(NotSolvable, match="hidden neurons"):
        solve(layered([3, 2, 1], output="linear"), X, Y)
    with pytest.raises(NotSolvable, match="mse"):
        solve(layered([3, 1], output="sigmoid"), X, (Y > 0).astype(float))
    curved = layered([3, 1], output="linear")
    curved.update_neuron(curved.outputs()[0].id, activation="tanh")
    with pytest.raises(NotSolvable, match="identity"):
        solve(curved, X, Y)
    with pytest.raises(NotSolvable, match="L1"):
        solve(layered([3, 1], output="linear"), X, Y, l1=0.1)
    broken = Network("mse")
    broken.add_neuron("input")
    broken.add_neuron("output")
    with pytest.raises(NetworkError):
        solve(broken, X[:, :1], Y)
