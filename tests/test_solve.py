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


# ----------------------------------------------------------------------------- badly scaled features
def fitted(net, X, Y, l2=0.0):
    """(theta per output as [weights..., bias], design matrix) of the closed form, no warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        w, b = solve(net, X, Y, l2=l2)
    ins, out = [n.id for n in net.inputs()], net.outputs()[0].id
    return np.array([w[(i, out)] for i in ins] + [b[out]])


def design(X):
    return np.column_stack([X, np.ones(len(X))])


def half_mse(A, theta, y):
    return float(np.sum((A @ theta - y) ** 2) / (2 * len(y)))


def r2(A, theta, y):
    return 1 - np.sum((A @ theta - y) ** 2) / np.sum((y - y.mean()) ** 2)


def polynomial_data(seed, m=40, degree=7):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, m)
    y = np.sin(x / 15) + 0.1 * rng.normal(size=m)
    return x, np.column_stack([x ** k for k in range(1, degree + 1)]), y


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_unscaled_polynomial_features_reach_the_least_squares_optimum(seed):
    # x in [0, 100], features x .. x^7 (columns from ~1 to ~1e14), not standardized
    x, X, y = polynomial_data(seed)
    net = layered([7, 1], output="linear")
    theta = fitted(net, X, y)                               # no "linearly dependent" warning
    assert solve_details(net, X, y).ranks[net.outputs()[0].id] == (8, 8)
    A = design(X)
    # reference: the same fit in the well-conditioned variable x/100
    coef = np.polynomial.polynomial.polyfit(x / 100, y, 7)
    ref = np.polynomial.polynomial.polyval(x / 100, coef)
    ref_r2 = 1 - np.sum((ref - y) ** 2) / np.sum((y - y.mean()) ** 2)
    assert r2(A, theta, y) == pytest.approx(ref_r2, abs=1e-10)
    assert half_mse(A, theta, y) <= np.sum((ref - y) ** 2) / (2 * len(y)) * (1 + 1e-9)
    expected = np.concatenate([coef[1:] / 100.0 ** np.arange(1, 8), coef[:1]])
    np.testing.assert_allclose(theta, expected, rtol=1e-6)
    # never worse than numpy's lstsq on the raw columns (which drops a direction here)
    raw, *_ = np.linalg.lstsq(A, y, rcond=None)
    assert half_mse(A, theta, y) <= half_mse(A, raw, y) * (1 + 1e-12)


def test_unscaled_polynomial_against_a_50_digit_reference():
    mpmath = pytest.importorskip("mpmath")
    x, X, y = polynomial_data(0)
    theta = fitted(layered([7, 1], output="linear"), X, y)
    A = design(X)
    with mpmath.workdps(50):
        Am, ym = mpmath.matrix(A.tolist()), mpmath.matrix(y.tolist())
        exact = mpmath.lu_solve(Am.T * Am, Am.T * ym)       # normal equation, 50 digits
        best = sum((v ** 2 for v in (Am * exact - ym)), mpmath.mpf(0)) / (2 * len(y))
        exact = np.array([float(v) for v in exact])
        best = float(best)
    np.testing.assert_allclose(theta, exact, rtol=1e-7)
    assert half_mse(A, theta, y) == pytest.approx(best, rel=1e-12)


def test_huge_column_next_to_the_bias_is_fitted_exactly():
    # an unscaled solver drops the bias direction here and scores R^2 < 0 on its own rows
    a = np.array([[1e200], [2e200], [3.0]])
    y = np.array([1.0, 2.0, 5.0])
    net = layered([1, 1], output="linear")
    w, b = fitted(net, a, y)
    assert solve_details(net, a, y).ranks[net.outputs()[0].id] == (2, 2)
    # exact least squares: the rows 1e200, 2e200 decide w (the 3 is negligible beside them);
    # then the residuals of all rows sum to 0 and are orthogonal to a
    r = w * a[:, 0] + b - y
    assert abs(r.sum()) <= 1e-12 * np.abs(y).sum()
    assert abs(r @ (a[:, 0] / 1e200)) <= 1e-12 * np.abs(y).sum()
    assert r2(design(a), np.array([w, b]), y) >= 0


def test_r2_with_an_intercept_is_never_negative_on_the_training_rows():
    from nnstudio.core.metrics import evaluate

    rng = np.random.default_rng(7)
    for trial in range(60):
        m = int(rng.integers(2, 30))
        n = int(rng.integers(1, 5))
        scales = 10.0 ** rng.uniform(-150, 150, size=n)
        X = rng.normal(size=(m, n)) * scales + rng.normal(size=n) * scales * rng.integers(0, 2)
        y = rng.normal(size=m) * 10.0 ** rng.uniform(-5, 5)
        net = layered([n, 1], output="linear")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SolveWarning)     # m <= n: not unique, fine
            warnings.simplefilter("error", RuntimeWarning)
            solved = apply(net, *solve(net, X, y))
        score = evaluate(solved, X, y.reshape(-1, 1))["r2"]
        assert score >= -1e-9, (trial, m, n, scales)


@pytest.mark.parametrize("l2", [1e-6, 0.5, 1e4])
def test_ridge_on_badly_scaled_features_solves_the_ridge_normal_equations(l2):
    x, X, y = polynomial_data(1, m=30, degree=6)
    X = X * [1.0, 1.0, 1e-3, 1.0, 1e3, 1.0]                # make it worse still
    theta = fitted(layered([6, 1], output="linear"), X, y, l2=l2)
    A = design(X)
    I0 = np.diag([1.0] * 6 + [0.0])
    r = A @ theta - y
    grad = A.T @ r + 2 * l2 * I0 @ theta                    # m * dJ/dtheta
    # relative to the size of the terms that cancel in it
    scale = np.abs(A).T @ (np.abs(A) @ np.abs(theta) + np.abs(y)) + 2 * l2 * np.abs(theta)
    assert np.max(np.abs(grad) / scale) < 1e-12
    # and against the course's closed form, solved after an exact rescaling of the columns
    s = np.max(np.abs(A), axis=0)
    As = A / s
    phi = np.linalg.solve(As.T @ As + 2 * l2 * I0 / s ** 2, As.T @ y)
    np.testing.assert_allclose(theta, phi / s, rtol=1e-6)


def test_ridge_against_a_50_digit_reference():
    mpmath = pytest.importorskip("mpmath")
    x, X, y = polynomial_data(2, m=30, degree=7)
    l2 = 0.01
    theta = fitted(layered([7, 1], output="linear"), X, y, l2=l2)
    A = design(X)
    with mpmath.workdps(60):
        Am, ym = mpmath.matrix(A.tolist()), mpmath.matrix(y.tolist())
        lhs = Am.T * Am
        for j in range(7):
            lhs[j, j] += 2 * mpmath.mpf(l2)
        exact = np.array([float(v) for v in mpmath.lu_solve(lhs, Am.T * ym)])
    np.testing.assert_allclose(theta, exact, rtol=1e-7)


def test_scaled_duplicate_and_constant_columns_are_still_dependent():
    rng = np.random.default_rng(3)
    x = rng.normal(size=20)
    y = 3 * x + 1 + 0.1 * rng.normal(size=20)
    c, b0 = np.linalg.lstsq(design(x[:, None]), y, rcond=None)[0]
    net = layered([2, 1], output="linear")
    out = net.outputs()[0].id
    # a duplicated column far from unit scale: w1 * 1e100 + w2 * 2e100 = c, min |theta| -> (1, 2)
    X = np.column_stack([1e100 * x, 2e100 * x])
    with pytest.warns(SolveWarning, match="linearly dependent"):
        w, b = solve(net, X, y)
    ins = [n.id for n in net.inputs()]
    assert [w[(ins[0], out)], w[(ins[1], out)]] == pytest.approx([c / 5e100, 2 * c / 5e100], rel=1e-9)
    assert b[out] == pytest.approx(b0, rel=1e-9)
    assert solve_details(net, X, y).ranks[out] == (2, 3)
    # a constant feature duplicates the bias: 5 w + b = mean(y), min |theta| -> (w, b) ~ (5, 1)
    X = np.column_stack([x, np.full(20, 5.0)])
    with pytest.warns(SolveWarning, match="rank 2 < 3"):
        w, b = solve(net, X, y)
    level = b0                                               # the line's intercept
    assert w[(ins[0], out)] == pytest.approx(c, rel=1e-12)
    assert [w[(ins[1], out)], b[out]] == pytest.approx([5 * level / 26, level / 26], rel=1e-9)
    # fewer samples than parameters: still the pseudo-inverse's answer
    X3 = rng.normal(size=(3, 5))
    with pytest.warns(SolveWarning, match="rank 3 < 6"):
        theta = fitted_allowing_warnings(layered([5, 1], output="linear"), X3, y[:3])
    np.testing.assert_allclose(theta, np.linalg.pinv(design(X3)) @ y[:3], rtol=1e-9, atol=1e-12)


def fitted_allowing_warnings(net, X, y, l2=0.0):
    w, b = solve(net, X, y, l2=l2)
    ins, out = [n.id for n in net.inputs()], net.outputs()[0].id
    return np.array([w[(i, out)] for i in ins] + [b[out]])


def test_a_vanishing_ridge_penalty_on_dependent_columns_takes_the_smallest_weights():
    rng = np.random.default_rng(4)
    x = rng.normal(size=20)
    y = 3 * x + 1 + 0.1 * rng.normal(size=20)
    c, b0 = np.linalg.lstsq(design(x[:, None]), y, rcond=None)[0]
    net = layered([2, 1], output="linear")
    with pytest.warns(SolveWarning, match="L2 1e-40 is negligible"):
        theta = fitted_allowing_warnings(net, np.column_stack([x, 2 * x]), y, l2=1e-40)
    np.testing.assert_allclose(theta, [c / 5, 2 * c / 5, b0], rtol=1e-9)


def test_non_finite_data_and_overflow_are_clear_errors():
    net = layered([2, 1], output="linear")
    X = np.array([[1.0, 2.0], [2.0, np.inf], [3.0, 1.0]])
    y = np.array([1.0, 2.0, 3.0])
    with pytest.raises(NotSolvable, match="'x2'.*infinite"):
        solve(net, X, y)
    with pytest.raises(NotSolvable, match="target of y1"):
        solve(net, X[:, [0, 0]], np.array([1.0, np.nan, 3.0]))
    # the exact weight is ~1e600: not a float
    tiny = np.array([[1e-300, 1.0], [2e-300, 1.0], [3e-300, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(NotSolvable, match="'x1' is too large"):
            solve(net, tiny, np.array([1e300, 2e300, 4e300]))
