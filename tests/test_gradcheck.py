"""Backprop against central finite differences on random DAG networks (property-based)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnstudio.core.compile import compile_network
from nnstudio.core.gradcheck import gradient_check, reference_cost, reference_pre_activations
from nnstudio.core.graph import Network, layered

HIDDEN_ACTS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu")
MSE_OUTPUT_ACTS = ("identity", "identity", "sigmoid", "tanh", "relu", "leaky_relu")
KINKED = ("relu", "leaky_relu")
#: Pre-activations of relu/leaky relu neurons stay this far from the kink at 0.
KINK_MARGIN = 1e-3


@st.composite
def dag_problems(draw):
    """A random trainable DAG (partial and skip connections, every activation), data, and
    regularization strengths."""
    loss = draw(st.sampled_from(["mse", "bce", "cross_entropy", "ova"]))
    n_in = draw(st.integers(1, 3))
    n_hidden = draw(st.integers(0, 5))
    n_out = draw(st.integers(2, 3)) if loss in ("cross_entropy", "ova") else draw(st.integers(1, 2))
    net = Network(loss)
    ins = [net.add_neuron("input").id for _ in range(n_in)]
    hid = [net.add_neuron("hidden", activation=draw(st.sampled_from(HIDDEN_ACTS))).id
           for _ in range(n_hidden)]
    outs = []
    for _ in range(n_out):
        act = draw(st.sampled_from(MSE_OUTPUT_ACTS)) if loss == "mse" else None
        outs.append(net.add_neuron("output", activation=act).id)
    density = draw(st.floats(0.3, 1.0))
    weight = st.floats(0.1, 1.5).flatmap(lambda w: st.sampled_from([w, -w]))

    def connect(sources, target):
        chosen = [s for s in sources if draw(st.floats(0, 1)) < density]
        if not chosen:                      # every non-input neuron gets at least one input
            chosen = [draw(st.sampled_from(sources))]
        for s in chosen:
            net.add_connection(s, target, draw(weight))

    for i, h in enumerate(hid):
        connect(ins + hid[:i], h)
    for o in outs:
        connect(ins + hid, o)
    for nid in hid + outs:
        net.update_neuron(nid, bias=draw(st.floats(-1, 1)))
    # a hidden neuron fed by nothing (a constant) now and then
    if draw(st.booleans()) and draw(st.booleans()):
        h = net.add_neuron("hidden", activation=draw(st.sampled_from(HIDDEN_ACTS)), bias=0.5).id
        net.add_connection(h, draw(st.sampled_from(outs)), draw(weight))

    m = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.uniform(-2, 2, size=(m, n_in))
    if loss == "mse":
        Y = rng.uniform(-1, 1, size=(m, n_out))
    elif loss == "bce":
        Y = rng.integers(0, 2, size=(m, n_out)).astype(float)
    else:
        Y = np.eye(n_out)[rng.integers(0, n_out, size=m)]
    l1 = draw(st.sampled_from([0.0, 0.0, 0.3, 1.0]))
    l2 = draw(st.sampled_from([0.0, 0.0, 0.2, 1.5]))
    return net, X, Y, l1, l2


def _away_from_kinks(net: Network, X) -> bool:
    w, b = net.parameters()
    z = reference_pre_activations(net, w, b, X, np.float64)
    return all(np.all(np.abs(z[n.id]) > KINK_MARGIN)
               for n in net.neurons() if n.role != "input" and n.activation in KINKED)


@settings(max_examples=250, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(dag_problems())
def test_backprop_matches_finite_differences_on_random_dags(problem):
    net, X, Y, l1, l2 = problem
    assert net.errors() == []
    assume(_away_from_kinks(net, X))
    result = gradient_check(net, X, Y, l1=l1, l2=l2)
    assert len(result.rows) == net.parameter_count()
    assert result.max_rel_error < 1e-6, result.table()


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    """The check must be able to fail: break the tanh derivative and it does."""
    from nnstudio.core import activations

    net = layered([2, 3, 1], hidden="tanh", output="sigmoid")
    rng = np.random.default_rng(1)
    for c in net.connections():
        net.set_weight(c.source, c.target, rng.normal())
    X, Y = rng.normal(size=(5, 2)), rng.integers(0, 2, (5, 1)).astype(float)
    assert gradient_check(net, X, Y).max_rel_error < 1e-6
    monkeypatch.setattr(activations.Tanh, "backward_calls",
                        lambda self, a, d, t: [(np.multiply, (d, 0.9, d))])
    bad = gradient_check(net, X, Y)
    assert bad.max_rel_error > 1e-2
    assert bad.worst.name.startswith(("w(x", "b(h"))


def test_rows_name_every_parameter_in_contract_order():
    net = layered([2, 2, 1], output="linear")
    for i, c in enumerate(net.connections()):
        net.set_weight(c.source, c.target, 0.1 * (i + 1))
    cn = compile_network(net)
    res = gradient_check(net, np.ones((3, 2)), np.zeros((3, 1)), l2=0.5)
    assert [r.key for r in res.rows] == list(cn.connection_keys) + list(cn.bias_ids)
    assert res.rows[0].name == "w(x1->h1)"
    assert res.rows[-1].name == "b(y1)"
    assert "rel. error" in res.table()


def test_reference_cost_is_the_course_cost():
    """The reference forward on a one-neuron logistic model equals the textbook formula."""
    net = Network("bce")
    x = net.add_neuron("input").id
    y = net.add_neuron("output").id
    net.add_connection(x, y, 0.5)
    net.update_neuron(y, bias=-0.25)
    X = np.array([[1.0], [2.0], [-1.0]])
    Y = np.array([[1.0], [0.0], [1.0]])
    yhat = 1 / (1 + np.exp(-(0.5 * X[:, 0] - 0.25)))
    expected = -np.mean(Y[:, 0] * np.log(yhat) + (1 - Y[:, 0]) * np.log(1 - yhat)) + 0.3 / 3 * 0.25
    w, b = net.parameters()
    assert float(reference_cost(net, w, b, X, Y, l2=0.3)) == pytest.approx(expected, rel=1e-14)


def test_max_rows_checks_an_even_subset():
    net = layered([3, 4, 2], hidden="tanh", output="softmax")
    rng = np.random.default_rng(2)
    for c in net.connections():
        net.set_weight(c.source, c.target, rng.normal())
    X, Y = rng.normal(size=(4, 3)), np.eye(2)[[0, 1, 1, 0]]
    full = gradient_check(net, X, Y)
    part = gradient_check(net, X, Y, max_rows=5)
    assert len(full.rows) == 3 * 4 + 4 * 2 + 6 and len(part.rows) == 5
    assert part.rows[0] == full.rows[0] and part.rows[-1] == full.rows[-1]
    assert set(part.rows) <= set(full.rows)
