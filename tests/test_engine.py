"""Compiled networks, activations, losses and the batched engine, against independent math."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core import activations, engine, losses
from nnstudio.core.compile import compile_network
from nnstudio.core.gradcheck import reference_cost, reference_pre_activations
from nnstudio.core.graph import Network, NetworkError, layered

from reference_mlp import ReferenceMLP
from synthetic import random_batch


def randomize(net: Network, seed: int = 0, scale: float = 1.0) -> Network:
    rng = np.random.default_rng(seed)
    w = {c.key: scale * rng.normal() for c in net.connections()}
    b = {n.id: rng.normal() * 0.5 for n in net.neurons() if n.role != "input"}
    net.set_parameters(w, b)
    return net


def skip_net() -> Network:
    """A DAG with a skip connection input->output, a missing hidden connection, mixed hidden
    activations, a hidden neuron fed by nothing and one that feeds nothing."""
    net = layered([3, 4, 3, 2], hidden="tanh", output="softmax")
    ins = [n.id for n in net.inputs()]
    hs = [n.id for n in net.hidden()]
    outs = [n.id for n in net.outputs()]
    net.add_connection(ins[0], outs[1])
    net.add_connection(ins[2], hs[5])
    net.remove_connection(hs[0], hs[4])
    net.update_neuron(hs[1], activation="relu")
    net.update_neuron(hs[5], activation="sigmoid")
    const = net.add_neuron("hidden", activation="tanh", bias=0.3)
    net.add_connection(const.id, outs[0])
    dangling = net.add_neuron("hidden", activation="leaky_relu")
    net.add_connection(ins[1], dangling.id)
    return randomize(net, 3)


# ------------------------------------------------------------------ compile
def test_layered_network_compiles_to_dense_levels():
    net = layered([2, 8, 8, 1], hidden="tanh", output="sigmoid")
    cn = compile_network(net)
    assert [lv.shape for lv in cn.levels] == [(8, 3), (8, 9), (1, 9)]
    assert not cn.partial and cn.grad_mask is None
    assert cn.inputs_by_row
    assert cn.input_ids == tuple(n.id for n in net.inputs())
    assert cn.output_ids == tuple(n.id for n in net.outputs())
    assert len(cn.connection_keys) == 2 * 8 + 8 * 8 + 8
    assert cn.bias_ids == cn.neuron_ids == tuple(n.id for n in net.neurons() if n.role != "input")
    # each level's matrix starts on a 64-byte boundary
    p = cn.new_params()
    assert all(v.ctypes.data % 64 == 0 for v in cn.level_views(p))


def test_parameter_vectors_round_trip_through_the_network():
    net = randomize(skip_net(), 7)
    cn = compile_network(net)
    p = cn.new_params()
    w, b = cn.to_network_parameters(p)
    assert w == {c.key: c.weight for c in net.connections()}
    assert b == {n.id: n.bias for n in net.neurons() if n.role != "input"}
    assert np.array_equal(cn.weights_vector(p), [net.connection(*k).weight for k in cn.connection_keys])
    assert np.array_equal(cn.params_from_vectors(cn.weights_vector(p), cn.biases_vector(p)), p)
    other = net.copy()
    other.set_parameters(*cn.to_network_parameters(p))
    assert other.same_as(net)


def test_skip_connections_make_masked_levels():
    cn = compile_network(skip_net())
    assert cn.partial and not cn.inputs_by_row
    out = cn.output_level
    assert out.src_start == 0            # the skip connection reaches back to the inputs
    assert out.mask is not None
    # masked entries start at exactly zero
    for lv, W in zip(cn.levels, cn.level_views(cn.new_params())):
        if lv.mask is not None:
            assert np.all(W[lv.mask == 0] == 0)


def test_untrainable_network_is_refused():
    net = Network("mse")
    net.add_neuron("input")
    net.add_neuron("output")
    with pytest.raises(NetworkError, match="no input reaches output"):
        compile_network(net)


def test_mixed_output_activations_keep_the_column_order():
    net = layered([2, 3], output="linear")
    outs = [n.id for n in net.outputs()]
    net.update_neuron(outs[0], activation="tanh")      # tanh sorts after identity
    randomize(net, 2)
    cn = compile_network(net)
    assert list(cn.output_order) != [0, 1, 2]
    X = np.random.default_rng(0).normal(size=(5, 2))
    w, b = net.parameters()
    z = reference_pre_activations(net, w, b, X, np.float64)
    expected = np.stack([np.tanh(z[outs[0]]), z[outs[1]], z[outs[2]]], axis=1)
    assert np.allclose(engine.forward(cn, cn.new_params(), X), expected, rtol=1e-13, atol=1e-14)


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize("name", ["identity", "sigmoid", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_activation_calls_equal_the_readable_formulas(name, dtype):
    act = activations.get(name)
    z = np.linspace(-30, 30, 60, dtype=dtype).reshape(3, -1) + dtype(0.25)
    buf, tmp = z.copy(), np.empty_like(z)
    with np.errstate(over="ignore"):
        activations.run(act.forward_calls(buf, tmp))
    np.testing.assert_allclose(buf, act.fn(z).astype(dtype), rtol=4 * np.finfo(dtype).eps)
    d = np.full_like(z, 2.0)
    activations.run(act.backward_calls(buf, d, tmp))
    np.testing.assert_allclose(d, 2 * act.derivative(act.fn(z)), rtol=4 * np.finfo(dtype).eps)
    # big arrays may take another code path (relu: a bool mask)
    big = np.tile(z, (1, 100))
    buf, tmp, d = big.copy(), np.empty_like(big), np.full_like(big, 2.0)
    with np.errstate(over="ignore"):
        activations.run(act.forward_calls(buf, tmp))
    activations.run(act.backward_calls(buf, d, tmp))
    np.testing.assert_allclose(d, 2 * act.derivative(act.fn(big)), rtol=4 * np.finfo(dtype).eps)


@pytest.mark.parametrize("name,expected", [
    ("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("tanh", np.tanh),
    ("relu", lambda z: z * (z > 0)), ("leaky_relu", lambda z: np.where(z > 0, z, z / 100)),
])
def test_derivatives_match_central_differences(name, expected):
    act = activations.get(name)
    z = np.array([-3.0, -0.7, 0.4, 2.5])
    h = 1e-6
    numeric = (expected(z + h) - expected(z - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(act.fn(z)), numeric, rtol=1e-8)


def test_sigmoid_keeps_relative_precision_far_out():
    act = activations.get("sigmoid")
    z = np.array([-40.0, -800.0, 40.0])
    assert act.fn(z)[0] == pytest.approx(np.exp(-40.0), rel=1e-14)
    assert act.fn(z)[1] == 0.0 and act.fn(z)[2] == 1.0


def test_softmax_probabilities_sum_to_one_and_do_not_overflow():
    sm = activations.get("softmax")
    z = np.array([[1.0, 1000.0, -5.0], [2.0, 1001.0, -5.0], [3.0, 999.0, -5.0]])
    p = sm.fn(z)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, rtol=1e-15)
    np.testing.assert_allclose(p[:, 0], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-15)
    np.testing.assert_allclose(p[:, 1], np.exp([1, 2, 0]) / np.exp([1, 2, 0]).sum(), rtol=1e-14)
    np.testing.assert_allclose(p[:, 2], 1 / 3)
    buf, tmp = z.copy(), np.empty_like(z)
    activations.run(sm.forward_calls(buf, tmp))
    np.testing.assert_allclose(buf, p, rtol=1e-15)
    # the Jacobian for one sample: rows sum to zero, diag p(1-p)
    J = sm.jacobian(p[:, 0])
    np.testing.assert_allclose(J.sum(axis=0), 0, atol=1e-16)
    np.testing.assert_allclose(np.diag(J), p[:, 0] * (1 - p[:, 0]))


# ------------------------------------------------------------------ losses
def test_log_losses_are_exact_where_probabilities_round_off():
    z = np.array([[50.0, -50.0, 800.0]])
    y = np.array([[0.0, 1.0, 0.0]])
    # -log(1 - sigmoid(50)) = softplus(50) ~ 50; naive formula would give inf
    assert losses.bce_cost(z, y, 3) == pytest.approx((50 + 50 + 800) / 3, rel=1e-12)
    zc = np.array([[0.0, 1000.0], [-1000.0, 0.0]])
    yc = np.array([[0.0, 1.0], [1.0, 0.0]])
    # sample 0 puts p = e^-1000 on its class (loss 1000), sample 1 p = 1 (loss 0)
    assert losses.cross_entropy_cost(zc, yc, 2) == pytest.approx(500.0, rel=1e-12)


def test_losses_equal_textbook_formulas_on_ordinary_values():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 5))
    a = 1 / (1 + np.exp(-z))
    y = (rng.uniform(size=(3, 5)) > 0.5).astype(float)
    assert losses.bce_cost(z, y, 5) == pytest.approx(
        -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / 5, rel=1e-13)
    p = np.exp(z) / np.exp(z).sum(axis=0)
    yc = np.eye(3)[:, rng.integers(0, 3, 5)]
    assert losses.cross_entropy_cost(z, yc, 5) == pytest.approx(-np.sum(yc * np.log(p)) / 5, rel=1e-13)
    assert losses.mse_cost(z, y, 5) == pytest.approx(np.sum((z - y) ** 2) / 10, rel=1e-14)


def test_regularized_logistic_cost_and_gradient_by_hand():
    """TOPICS.md section 3 on a worked example: y_hat = sigma(w.x + b), 3 samples, lambda = 0.5."""
    net = Network("bce")
    x1, x2 = net.add_neuron("input").id, net.add_neuron("input").id
    y = net.add_neuron("output").id
    net.add_connection(x1, y, 0.5)
    net.add_connection(x2, y, -1.0)
    net.update_neuron(y, bias=0.25)
    X = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    Y = np.array([[0.0], [1.0], [1.0]])
    lam, m = 0.5, 3
    # by hand: z = 0.5 x1 - x2 + 0.25 = [-1.25, 1.25, 1.25]
    z = np.array([-1.25, 1.25, 1.25])
    yhat = 1 / (1 + np.exp(-z))
    J = -np.mean(Y[:, 0] * np.log(yhat) + (1 - Y[:, 0]) * np.log(1 - yhat)) + lam / m * (0.25 + 1.0)
    err = yhat - Y[:, 0]
    dw = X.T @ err / m + 2 * lam / m * np.array([0.5, -1.0])
    db = err.mean()
    cn = compile_network(net)
    p = cn.new_params()
    assert engine.cost(cn, p, X, Y, l2=lam) == pytest.approx(J, rel=1e-14)
    g = engine.gradient(cn, p, X, Y, l2=lam)
    np.testing.assert_allclose(g[cn.weight_index], dw, rtol=1e-14)
    assert g[cn.bias_index][0] == pytest.approx(db, rel=1e-14)
    # all three samples have |z| = 1.25, so every error is +-(1 - sigma(1.25)): sanity of the hand math
    assert np.allclose(np.abs(err), 1 / (1 + np.exp(1.25)))


# ------------------------------------------------------------------ engine vs reference
CASES = [
    ([2, 8, 8, 1], "tanh", "sigmoid"),
    ([4, 10, 3], "relu", "softmax"),
    ([3, 5, 4, 2], "leaky_relu", "linear"),
    ([3, 6, 3], "sigmoid", "ova"),
    ([5, 1], "tanh", "linear"),
    ([2, 3, 1], "tanh", "tanh"),            # mse with a non-identity output
]


def _data(sizes, output, m=17, seed=0):
    return random_batch(np.random.default_rng(seed), sizes[0], sizes[-1], output, m)


@pytest.mark.parametrize("sizes,hidden,output", CASES)
def test_engine_matches_the_reference_mlp(sizes, hidden, output):
    net = randomize(layered(sizes, hidden=hidden, output=output), 1)
    X, Y = _data(sizes, output)
    ref = ReferenceMLP.from_network(net, sizes)
    cn = compile_network(net)
    p = cn.new_params()
    np.testing.assert_allclose(engine.forward(cn, p, X), ref.forward(X)[1][-1], rtol=1e-12, atol=1e-14)
    assert engine.cost(cn, p, X, Y, l1=0.1, l2=0.2) == pytest.approx(ref.cost(X, Y, 0.1, 0.2), rel=1e-12)
    g = engine.gradient(cn, p, X, Y, l1=0.1, l2=0.2)
    dWs, dbs = ref.gradients(X, Y, 0.1, 0.2)
    w_ref = {}
    ids = [n.id for n in net.neurons()]
    layers, i = [], 0
    for s in sizes:
        layers.append(ids[i:i + s])
        i += s
    for l in range(1, len(sizes)):
        for a, s in enumerate(layers[l - 1]):
            for b_, t in enumerate(layers[l]):
                w_ref[(s, t)] = dWs[l - 1][a, b_]
    b_ref = {t: dbs[l - 1][j] for l in range(1, len(sizes)) for j, t in enumerate(layers[l])}
    np.testing.assert_allclose(g[cn.weight_index], [w_ref[k] for k in cn.connection_keys], rtol=1e-11, atol=1e-15)
    np.testing.assert_allclose(g[cn.bias_index], [b_ref[i] for i in cn.bias_ids], rtol=1e-11, atol=1e-15)


def test_engine_matches_the_per_neuron_reference_on_a_dag():
    net = skip_net()
    X, Y = _data([3, 2], "softmax", m=9, seed=4)
    cn = compile_network(net)
    w, b = net.parameters()
    z = reference_pre_activations(net, w, b, X, np.float64)
    zo = np.stack([z[i] for i in cn.output_ids], axis=1)
    p_ref = np.exp(zo - zo.max(1, keepdims=True))
    p_ref /= p_ref.sum(1, keepdims=True)
    np.testing.assert_allclose(engine.forward(cn, cn.new_params(), X), p_ref, rtol=1e-13)
    assert engine.cost(cn, cn.new_params(), X, Y, 0.2, 0.3) == pytest.approx(
        float(reference_cost(net, w, b, X, Y, 0.2, 0.3, np.float64)), rel=1e-13)


def test_a_neuron_that_feeds_nothing_gets_no_gradient():
    net = skip_net()
    dangling = [n.id for n in net.hidden() if not net.outgoing(n.id)]
    assert dangling
    cn = compile_network(net)
    X, Y = _data([3, 2], "softmax", m=6)
    g = engine.gradient(cn, cn.new_params(), X, Y)
    for k, v in zip(cn.connection_keys, g[cn.weight_index]):
        if k[1] in dangling:
            assert v == 0.0
    assert g[cn.bias_index][list(cn.bias_ids).index(dangling[0])] == 0.0


def test_input_layouts_agree():
    """Row-gathered inputs (layered nets) and column inputs (skip nets) compute the same."""
    sizes = [3, 4, 2]
    net = randomize(layered(sizes, hidden="tanh", output="linear"), 5)
    X, Y = _data(sizes, "linear")
    cn = compile_network(net)
    assert cn.inputs_by_row
    skip = net.copy()
    skip.add_connection(skip.inputs()[0].id, skip.outputs()[0].id, 0.0)
    cs = compile_network(skip)
    assert not cs.inputs_by_row
    np.testing.assert_allclose(engine.forward(cs, cs.new_params(), X), engine.forward(cn, cn.new_params(), X),
                               rtol=1e-14)
    g1 = engine.gradient(cn, cn.new_params(), X, Y)
    g2 = engine.gradient(cs, cs.new_params(), X, Y)
    keep = [cs.connection_keys.index(k) for k in cn.connection_keys]
    np.testing.assert_allclose(g2[cs.weight_index][keep], g1[cn.weight_index], rtol=1e-13)


def test_engine_mini_batches_gather_the_right_samples():
    sizes = [3, 4, 2]
    net = randomize(layered(sizes, hidden="relu", output="softmax"), 6)
    X, Y = _data(sizes, "softmax", m=20)
    cn = compile_network(net)
    p = cn.new_params()
    grads = np.zeros(cn.n_params)
    idx = np.array([3, 17, 5, 0, 11])
    eng = engine.Engine(cn, p, grads, len(idx))
    eng.load(engine.Data(cn, X, Y), idx)
    eng.gradient()
    np.testing.assert_allclose(grads, engine.gradient(cn, p, X[idx], Y[idx]), rtol=1e-14, atol=1e-17)


def test_float32_engine_is_close_to_float64():
    sizes = [4, 10, 3]
    net = randomize(layered(sizes, hidden="tanh", output="softmax"), 8)
    X, Y = _data(sizes, "softmax", m=30)
    c64, c32 = compile_network(net), compile_network(net, np.float32)
    g64 = engine.gradient(c64, c64.new_params(), X, Y, l2=0.1)
    g32 = engine.gradient(c32, c32.new_params(), X, Y, l2=0.1)
    assert g32.dtype == np.float32
    for index in ("weight_index", "bias_index"):
        np.testing.assert_allclose(g32[getattr(c32, index)], g64[getattr(c64, index)], rtol=1e-4, atol=1e-6)
    assert engine.forward(c32, c32.new_params(), X).dtype == np.float32


# ------------------------------------------------------------------ metrics
def test_evaluate_classification_accuracy_and_confusion_matrix():
    from nnstudio.core.metrics import evaluate, predict

    net = randomize(layered([4, 6, 3], hidden="tanh", output="softmax"), 9)
    X, Y = _data([4, 3], "softmax", m=40, seed=2)
    P = predict(net, X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)
    true, pred = Y.argmax(1), P.argmax(1)
    res = evaluate(net, X, Y)
    assert res["accuracy"] == pytest.approx(np.mean(true == pred))
    C = np.array(res["confusion_matrix"])
    assert C.shape == (3, 3) and C.sum() == 40
    for i in range(3):
        for j in range(3):
            assert C[i, j] == np.sum((true == i) & (pred == j))   # rows true, columns predicted
    assert res["loss"] == pytest.approx(-np.mean(np.log(P[np.arange(40), true])), rel=1e-12)


def test_evaluate_binary_and_one_versus_all():
    from nnstudio.core.metrics import evaluate, predict

    net = randomize(layered([2, 4, 1], hidden="tanh", output="sigmoid"), 4)
    X, Y = _data([2, 1], "sigmoid", m=30, seed=5)
    p = predict(net, X)[:, 0]
    res = evaluate(net, X, Y)
    assert res["accuracy"] == pytest.approx(np.mean((p >= 0.5) == (Y[:, 0] == 1)))
    C = np.array(res["confusion_matrix"])
    assert C[1, 1] == np.sum((p >= 0.5) & (Y[:, 0] == 1)) and C[0, 1] == np.sum((p >= 0.5) & (Y[:, 0] == 0))
    ova = randomize(layered([2, 4, 3], hidden="tanh", output="ova"), 4)
    Xo, Yo = _data([2, 3], "ova", m=30, seed=6)
    res = evaluate(ova, Xo, Yo)
    assert res["accuracy"] == pytest.approx(np.mean(predict(ova, Xo).argmax(1) == Yo.argmax(1)))


def test_evaluate_regression_mse_and_r2():
    from nnstudio.core.metrics import evaluate, predict, r2_score

    net = randomize(layered([3, 2], output="linear"), 1)
    X, Y = _data([3, 2], "linear", m=25, seed=7)
    P = predict(net, X)
    res = evaluate(net, X, Y)
    assert set(res) == {"loss", "mse", "r2"}
    assert res["mse"] == pytest.approx(np.mean((P - Y) ** 2), rel=1e-14)
    assert res["loss"] == pytest.approx(np.sum((P - Y) ** 2) / (2 * 25), rel=1e-14)
    r2 = [1 - np.sum((Y[:, k] - P[:, k]) ** 2) / np.sum((Y[:, k] - Y[:, k].mean()) ** 2) for k in range(2)]
    assert res["r2"] == pytest.approx(np.mean(r2), rel=1e-12)
    assert r2_score(Y, Y) == 1.0
