"""Optimizers, initialization, the training loop, exact continuation and divergence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnstudio.core.graph import Network, layered
from nnstudio.core.settings import TrainingSettings
from nnstudio.core.training import Divergence, Snapshot, Trainer, initialize

from reference_mlp import ReferenceMLP
from synthetic import random_batch

SIZES = [3, 5, 4, 2]


def problem(output="softmax", hidden="tanh", m=30, seed=0, sizes=SIZES):
    rng = np.random.default_rng(seed)
    net = layered(sizes, hidden=hidden, output=output)
    initialize(net, "glorot", seed=seed)
    rng2 = np.random.default_rng(seed + 100)
    net.set_parameters({}, {n.id: rng2.normal() * 0.3 for n in net.neurons() if n.role != "input"})
    X, Y = random_batch(rng, sizes[0], sizes[-1], output, m)
    return net, X, Y


def flat_reference(ref: ReferenceMLP, net, sizes=SIZES):
    """The reference's weights in the trainer's (connection_keys, bias_ids) order."""
    ids = [n.id for n in net.neurons()]
    layers, i = [], 0
    for s in sizes:
        layers.append(ids[i:i + s])
        i += s
    w = {}
    b = {}
    for l in range(1, len(sizes)):
        for a, s in enumerate(layers[l - 1]):
            for c, t in enumerate(layers[l]):
                w[(s, t)] = ref.W[l - 1][a, c]
        for c, t in enumerate(layers[l]):
            b[t] = ref.b[l - 1][c]
    return w, b


# ------------------------------------------------------------------ against the reference
@pytest.mark.parametrize("optimizer,batch,lr", [
    ("gd", None, 0.3), ("sgd", 7, 0.2), ("sgd", None, 0.2), ("momentum", 8, 0.05), ("adam", 7, 0.01),
])
@pytest.mark.parametrize("output,hidden", [("softmax", "tanh"), ("sigmoid", "relu"), ("linear", "sigmoid")])
def test_training_equals_the_hand_written_mlp(optimizer, batch, lr, output, hidden):
    net, X, Y = problem(output, hidden)
    ref = ReferenceMLP.from_network(net, SIZES)
    settings = TrainingSettings(optimizer=optimizer, batch_size=batch, learning_rate=lr, l1=0.01, l2=0.05, seed=5)
    tr = Trainer(net, settings, X, Y)
    for _ in range(4):
        rec = tr.run_epoch()
    ref.train(X, Y, optimizer=optimizer, lr=lr, epochs=4, batch=batch, seed=5, l1=0.01, l2=0.05)
    w, b = tr.parameters()
    rw, rb = flat_reference(ref, net)
    assert max(abs(w[k] - rw[k]) for k in w) < 1e-12
    assert max(abs(b[k] - rb[k]) for k in b) < 1e-12
    assert rec.epoch == 4
    assert rec.step == 4 * (1 if batch is None or optimizer == "gd" else -(-30 // batch))
    assert rec.train_cost == pytest.approx(ref.cost(X, Y, 0.01, 0.05), rel=1e-11)


def test_mini_batch_penalty_uses_the_whole_training_set_size():
    """J's penalty is (l2/m) sum W^2 with m the training-set size, even on a batch of 5."""
    net, X, Y = problem("linear", "identity", m=20, sizes=[3, 2])
    ref = ReferenceMLP.from_network(net, [3, 2])
    tr = Trainer(net, TrainingSettings(optimizer="sgd", batch_size=5, learning_rate=0.1, l2=2.0, seed=1), X, Y)
    tr.run_epoch()
    ref.train(X, Y, optimizer="sgd", lr=0.1, epochs=1, batch=5, seed=1, l2=2.0)
    w, _ = tr.parameters()
    rw, _ = flat_reference(ref, net, [3, 2])
    assert max(abs(w[k] - rw[k]) for k in w) < 1e-13


def test_settings_changes_take_effect_at_the_next_step():
    net, X, Y = problem()
    ref = ReferenceMLP.from_network(net, SIZES)
    tr = Trainer(net, TrainingSettings(optimizer="gd", learning_rate=0.5), X, Y)
    for _ in range(3):
        tr.step_batch()
    tr.update_settings(tr.settings.with_changes(learning_rate=0.1, l2=0.3))
    for _ in range(3):
        tr.step_batch()
    ref.train(X, Y, lr=0.5, epochs=3)
    ref.train(X, Y, lr=0.1, epochs=3, l2=0.3)
    w, _ = tr.parameters()
    rw, _ = flat_reference(ref, net)
    assert max(abs(w[k] - rw[k]) for k in w) < 1e-12
    assert tr.step == 6 and tr.epoch == 6


def test_batch_size_changes_mid_epoch():
    net, X, Y = problem(m=30)
    tr = Trainer(net, TrainingSettings(optimizer="sgd", batch_size=8, learning_rate=0.1), X, Y)
    tr.step_batch()
    tr.update_settings(tr.settings.with_changes(batch_size=5))   # the epoch goes on, 5 at a time
    for _ in range(4):
        tr.step_batch()
    assert (tr.epoch, tr.state()["position"]) == (0, 28)
    tr.step_batch()                                                # the last 2 samples
    assert (tr.epoch, tr.state()["position"]) == (1, 0)
    tr.step_batch()
    tr.update_settings(tr.settings.with_changes(batch_size=None))  # a full batch ends the epoch
    tr.step_batch()
    assert (tr.epoch, tr.step, tr.state()["position"]) == (2, 8, 0)


def test_switching_optimizer_and_precision_keeps_the_weights():
    net, X, Y = problem()
    tr = Trainer(net, TrainingSettings(optimizer="sgd", batch_size=8, learning_rate=0.1), X, Y)
    tr.run_epoch()
    before = tr.parameters()
    tr.update_settings(tr.settings.with_changes(optimizer="adam", precision="float32", learning_rate=0.01))
    after = tr.parameters()
    assert max(abs(before[0][k] - after[0][k]) for k in before[0]) < 1e-6
    rec = tr.run_epoch()
    assert np.isfinite(rec.train_cost)
    assert tr.snapshot().weights.dtype == np.float32


# ------------------------------------------------------------------ determinism and continuation
def test_same_seed_same_weights_bit_for_bit():
    runs = []
    for _ in range(2):
        net, X, Y = problem()
        initialize(net, "he", seed=11)
        tr = Trainer(net, TrainingSettings(optimizer="adam", batch_size=4, learning_rate=0.01, seed=3), X, Y)
        for _ in tr.train(3):
            pass
        runs.append(tr.snapshot())
    assert np.array_equal(runs[0].weights, runs[1].weights)
    assert np.array_equal(runs[0].biases, runs[1].biases)
    net, X, Y = problem()
    initialize(net, "he", seed=11)
    other = Trainer(net, TrainingSettings(optimizer="adam", batch_size=4, learning_rate=0.01, seed=4), X, Y)
    for _ in other.train(3):
        pass
    assert not np.array_equal(other.snapshot().weights, runs[0].weights)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("through_json", [False, True])
def test_state_continues_training_exactly(optimizer, precision, through_json):
    net, X, Y = problem(m=23)
    settings = TrainingSettings(optimizer=optimizer, batch_size=5, learning_rate=0.05, seed=9,
                                l1=0.01, l2=0.02, precision=precision)
    whole = Trainer(net, settings, X, Y)
    for _ in range(13):                  # 2 epochs of 5 batches, then 3 steps into the third
        whole.step_batch()
    state = whole.state()
    weights, biases = whole.parameters()
    if through_json:
        state = json.loads(json.dumps(state))
    resumed_net = net.copy()
    resumed_net.set_parameters(weights, biases)
    resumed = Trainer(resumed_net, settings, X, Y, state=state)
    assert (resumed.epoch, resumed.step) == (whole.epoch, whole.step) == (2, 13)
    for _ in range(9):
        whole.step_batch()
        resumed.step_batch()
    a, b = whole.snapshot(), resumed.snapshot()
    assert np.array_equal(a.weights, b.weights)
    assert np.array_equal(a.biases, b.biases)
    assert (resumed.epoch, resumed.step) == (whole.epoch, whole.step)
    assert whole.run_epoch() == resumed.run_epoch()


def test_state_is_plain_json():
    net, X, Y = problem()
    tr = Trainer(net, TrainingSettings(optimizer="adam", batch_size=4), X, Y)
    tr.step_batch()
    text = json.dumps(tr.state(), allow_nan=False)
    assert json.loads(text) == tr.state()


def test_trainer_never_touches_the_network():
    net, X, Y = problem()
    before = net.copy()
    events = []
    net.subscribe(events.append)
    tr = Trainer(net, TrainingSettings(optimizer="gd"), X, Y)
    for _ in tr.train(5):
        pass
    assert net.same_as(before) and events == []
    net.set_parameters(*tr.parameters())
    assert not net.same_as(before)


# ------------------------------------------------------------------ divergence
def test_a_huge_learning_rate_raises_divergence_and_keeps_finite_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)) * 10
    Y = X @ np.array([[2.0], [-3.0]]) + 1
    net = layered([2, 1], output="linear")
    initialize(net, "glorot", 0)
    tr = Trainer(net, TrainingSettings(optimizer="gd", learning_rate=5.0), X, Y)
    with pytest.raises(Divergence) as info:
        for _ in tr.train(1000):
            pass
    err = info.value
    msg = str(err)
    assert f"epoch {err.epoch}, step {err.step}" in msg
    assert err.step > 1
    assert "smaller learning rate, now 5" in msg
    w, b = tr.parameters()
    assert all(np.isfinite(list(w.values()))) and all(np.isfinite(list(b.values())))
    assert tr.step == err.restored_step < err.step
    # after lowering the learning rate, training goes on from the restored weights
    tr.update_settings(tr.settings.with_changes(learning_rate=0.001))
    costs = [rec.train_cost for rec in tr.train(20)]
    assert costs[-1] < costs[0]


def test_divergence_in_mini_batches_names_the_step():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3)) * 30
    Y = rng.normal(size=(50, 1)) * 100
    net = layered([3, 4, 1], hidden="identity", output="linear")
    initialize(net, "glorot", 0)
    tr = Trainer(net, TrainingSettings(optimizer="sgd", batch_size=10, learning_rate=1.0), X, Y)
    with pytest.raises(Divergence) as info:
        for _ in range(500):
            tr.step_batch()
    assert info.value.step >= 1 and info.value.epoch == (info.value.step - 1) // 5 + 1
    assert np.isfinite(tr.snapshot().weights).all()


# ------------------------------------------------------------------ loop, stopping, snapshots
def test_target_cost_and_early_stopping():
    net, X, Y = problem("linear", "tanh", m=40)
    tr = Trainer(net, TrainingSettings(optimizer="gd", learning_rate=0.2, target_cost=0.5), X, Y)
    records = list(tr.train(10_000))
    assert records[-1].train_cost <= 0.5 < records[-2].train_cost
    assert "target" in tr.stop_reason
    # validation on unrelated targets: it stops improving soon
    rng = np.random.default_rng(3)
    Xv, Yv = rng.normal(size=(15, 3)), rng.normal(size=(15, 2)) * 3
    tr = Trainer(net, TrainingSettings(optimizer="gd", learning_rate=0.2, early_stop_patience=3), X, Y, Xv, Yv)
    records = list(tr.train(10_000))
    assert len(records) < 10_000
    vals = [r.val_cost for r in records]
    assert min(vals[-3:]) >= min(vals[:-3])
    assert "validation" in tr.stop_reason


def test_epoch_records_and_snapshots():
    net, X, Y = problem("softmax", "relu", m=25)
    Xv, Yv = X[:7] + 0.1, Y[:7]
    tr = Trainer(net, TrainingSettings(optimizer="sgd", batch_size=10, learning_rate=0.1), X, Y, Xv, Yv)
    empty = tr.snapshot()
    assert empty.train_cost is None and np.all(empty.neuron_grad == 0)
    rec = tr.run_epoch()
    assert (rec.epoch, rec.step) == (1, 3)
    assert 0 <= rec.train_accuracy <= 1 and 0 <= rec.val_accuracy <= 1
    assert rec.val_cost > 0
    snap = tr.snapshot(inspect=X[:4])
    assert isinstance(snap, Snapshot)
    assert snap.train_cost == rec.train_cost
    np.testing.assert_allclose(snap.outputs.sum(axis=1), 1.0, rtol=1e-12)
    assert snap.weights.shape == (len(tr.compiled.connection_keys),)
    assert snap.biases.shape == snap.neuron_grad.shape == (len(tr.compiled.bias_ids),)
    assert np.all(snap.neuron_grad >= 0) and snap.neuron_grad.sum() > 0
    assert not snap.weights.flags.writeable
    tr.step_batch()
    assert not np.array_equal(tr.snapshot().weights, snap.weights)   # the snapshot kept its own copy


def test_neuron_gradient_is_the_mean_absolute_delta():
    """For the last batch: mean over samples of |dL/dz| of each neuron (the output: |a - y|)."""
    net, X, Y = problem("sigmoid", "tanh", m=12, sizes=[3, 1])
    tr = Trainer(net, TrainingSettings(optimizer="gd", learning_rate=0.7), X, Y)
    a = tr.predict(X)
    tr.step_batch()
    assert tr.snapshot().neuron_grad[0] == pytest.approx(np.mean(np.abs(a - Y)), rel=1e-12)


def test_float32_training_is_close_to_float64():
    net, X, Y = problem("softmax", "tanh", m=60)
    out = {}
    for precision in ("float64", "float32"):
        tr = Trainer(net, TrainingSettings(optimizer="momentum", batch_size=16, learning_rate=0.05,
                                           precision=precision), X, Y)
        for rec in tr.train(20):
            pass
        out[precision] = (tr.snapshot(), rec)
    s64, r64 = out["float64"]
    s32, r32 = out["float32"]
    assert s32.weights.dtype == np.float32
    np.testing.assert_allclose(s32.weights, s64.weights, rtol=1e-3, atol=1e-4)
    assert r32.train_cost == pytest.approx(r64.train_cost, rel=1e-4)


# ------------------------------------------------------------------ initialization
def test_initialization_schemes():
    net = layered([4, 6, 3], hidden="relu", output="softmax")
    events = []
    net.subscribe(events.append)
    initialize(net, "glorot", seed=1)
    assert len(events) == 1
    first = net.parameters()
    for c in net.connections():
        fan_in, fan_out = len(net.incoming(c.target)), len(net.outgoing(c.source))
        assert abs(c.weight) <= np.sqrt(6 / (fan_in + fan_out))
    assert np.sqrt(6 / (4 + 6)) * 0.8 < max(abs(c.weight) for c in net.connections() if c.target <= 10)
    assert all(b == 0 for b in first[1].values())
    initialize(net, "glorot", seed=1)
    assert net.parameters() == first
    initialize(net, "glorot", seed=2)
    assert net.parameters() != first
    big = layered([100, 60, 1], hidden="relu")
    initialize(big, "he", seed=0)
    w = np.array([c.weight for c in big.connections() if c.target <= 160])
    assert len(w) == 6000
    assert w.std() == pytest.approx(np.sqrt(2 / 100), rel=0.04)
    initialize(net, "uniform", seed=0)
    assert max(abs(c.weight) for c in net.connections()) <= 0.1
    initialize(net, "zeros")
    assert all(c.weight == 0 for c in net.connections())
    with pytest.raises(ValueError):
        initialize(net, "xavier")


def test_initialization_counts_connections_per_neuron_in_a_dag():
    net = Network("mse")
    x1, x2 = net.add_neuron("input").id, net.add_neuron("input").id
    y = net.add_neuron("output").id
    h = net.add_neuron("hidden").id
    net.add_connection(x1, h)
    net.add_connection(h, y)
    net.add_connection(x2, y)
    net.add_connection(x1, y)
    initialize(net, "he", seed=0)
    rng = np.random.default_rng(0)
    z = rng.standard_normal(4)
    keys = [c.key for c in net.connections()]          # by target id, then source id
    fan_in = [len(net.incoming(t)) for _, t in keys]
    assert [net.connection(*k).weight for k in keys] == pytest.approx(list(z * np.sqrt(2 / np.array(fan_in))))


def test_steps_allocate_no_arrays():
    """Buffers are made once per batch size: a step allocates far less than one batch of
    activations (NumPy's broadcasting loops keep a small scratch buffer; that is all)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    sizes = [20, 30, 10]
    X, Y = rng.normal(size=(640, 20)), np.eye(10)[rng.integers(0, 10, 640)]
    for optimizer, batch in (("gd", None), ("sgd", 64), ("adam", 64)):
        net = layered(sizes, hidden="relu", output="softmax")
        initialize(net, "glorot", 0)
        tr = Trainer(net, TrainingSettings(optimizer=optimizer, batch_size=batch, learning_rate=0.01, l2=0.1),
                     X, Y)
        for _ in range(30):
            tr.step_batch()
        one_batch = tr.compiled.n_rows * (batch or 640) * 8
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            for _ in range(40):
                tr.step_batch()
            now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak - base < one_batch / 2, (optimizer, peak - base, one_batch)
        assert now - base < 8192, (optimizer, now - base)


def test_a_level_that_feeds_nothing_only_decays_under_l2():
    """h1 -> h2 where h2 feeds nothing: dJ/dW there is 0, so with L2 and gradient descent
    the weight follows pure decay w_t = (1 - lr * 2 * l2 / m)^t exactly; with momentum it
    stays bounded (it once accumulated a stale gradient and grew to 140)."""
    from nnstudio.core.graph import Network

    net = Network("mse")
    x, h1, h2, y = (net.add_neuron(r).id for r in ("input", "hidden", "hidden", "output"))
    net.add_connection(x, h1, 0.5)
    net.add_connection(h1, y, 0.7)
    net.add_connection(h1, h2, 1.0)
    X = np.linspace(-1, 1, 10).reshape(-1, 1)
    Y = 0.3 * X
    gd = Trainer(net, TrainingSettings(optimizer="gd", learning_rate=0.1, l2=5.0), X, Y)
    decay = 1 - 0.1 * 2 * 5.0 / 10
    for t in range(1, 31):
        gd.step_batch()
        assert gd.parameters()[0][(h1, h2)] == pytest.approx(decay ** t, rel=1e-12)
    momentum = Trainer(net, TrainingSettings(optimizer="momentum", learning_rate=0.1, l2=5.0), X, Y)
    for _ in range(200):
        momentum.step_batch()
    assert abs(momentum.parameters()[0][(h1, h2)]) < 1.0
