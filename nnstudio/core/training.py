"""Weight initialization, optimizers and the training loop.

The cost every optimizer minimizes (TOPICS.md section 2), with ``m`` the size of the
whole training set::

    J = data cost + (l2/m) sum W^2 + (l1/m) sum |W|         (biases never penalized)
    dJ/dW = d(data cost)/dW + (2 l2/m) W + (l1/m) sign(W)

A mini-batch of ``m_b`` samples estimates the data gradient by its own mean; the penalty
gradient is exact. Optimizers (``lr`` = learning rate, ``g`` = that gradient)::

    gd        whole training set every step      W -= lr g
    sgd       mini-batches                       W -= lr g
    momentum  mini-batches                       v = mu v + lr g;  W -= v
    adam      mini-batches                       m1 = b1 m1 + (1-b1) g;  m2 = b2 m2 + (1-b2) g^2
                                                 W -= lr m1_hat / (sqrt(m2_hat) + eps)
              with m1_hat = m1/(1-b1^t), m2_hat = m2/(1-b2^t) (computed in the equivalent form
              W -= [lr sqrt(1-b2^t)/(1-b1^t)] m1 / (sqrt(m2) + eps sqrt(1-b2^t))).

``batch_size`` None (or >= m) means the whole set for every optimizer; then samples are
used in order. Otherwise each epoch draws a new permutation from
``np.random.default_rng(settings.seed)`` (one generator for the whole run) and takes
consecutive batches of it, the last one smaller if ``m`` is not a multiple.

For gd, sgd and momentum the learning rate is folded into the engine's output delta, so
the gradient buffer already holds ``lr g`` and an update is one subtraction.

Every step is deterministic: the same network, data, settings and seed give the same
weights bit for bit, and :meth:`Trainer.state` captures everything else (optimizer
moments, random generator, position in the epoch) so a new Trainer continues exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from nnstudio.core import engine as eng_mod
from nnstudio.core import losses
from nnstudio.core.compile import CompiledNetwork, aligned_zeros, compile_network
from nnstudio.core.engine import Data, Engine, Evaluator
from nnstudio.core.graph import Network
from nnstudio.core.settings import INITIALIZATIONS, EpochRecord, TrainingSettings

STATE_FORMAT = 1
_sum = np.add.reduce
#: With full batches every step ends an epoch; divergence backups are taken at most this often.
BACKUP_EVERY_STEPS = 25
UNIFORM_LIMIT = 0.1


# ===================================================================== initialization
def initialize(net: Network, scheme: str = "glorot", seed: int = 0) -> None:
    """Set every weight by ``scheme`` and every bias to 0, as one ``set_parameters`` event.

    Counts are per connection ``s -> t``: ``fan_in`` = connections into ``t``, ``fan_out`` =
    connections out of ``s``. On a layered network these are the layer sizes, so the
    formulas are the usual ones.

    * ``glorot``: uniform in ``+-sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio 2010);
    * ``he``: normal with standard deviation ``sqrt(2 / fan_in)`` (He et al. 2015, for relu);
    * ``uniform``: uniform in ``+-0.1``;
    * ``zeros``: all 0 (shows why symmetry must be broken: hidden neurons stay identical).

    Draws go in ``net.connections()`` order from ``np.random.default_rng(seed)``.
    """
    if scheme not in INITIALIZATIONS:
        raise ValueError(f"initialization '{scheme}' is unknown (choose {', '.join(INITIALIZATIONS)})")
    conns = net.connections()
    rng = np.random.default_rng(seed)
    n_in = {nd.id: 0 for nd in net.neurons()}
    n_out = dict(n_in)
    for c in conns:
        n_in[c.target] += 1
        n_out[c.source] += 1
    fan_in = np.array([n_in[c.target] for c in conns], dtype=np.float64)
    fan_out = np.array([n_out[c.source] for c in conns], dtype=np.float64)
    n = len(conns)
    if scheme == "glorot":
        w = rng.uniform(-1.0, 1.0, n) * np.sqrt(6.0 / (fan_in + fan_out))
    elif scheme == "he":
        w = rng.standard_normal(n) * np.sqrt(2.0 / fan_in)
    elif scheme == "uniform":
        w = rng.uniform(-UNIFORM_LIMIT, UNIFORM_LIMIT, n)
    else:
        w = np.zeros(n)
    biases = {nd.id: 0.0 for nd in net.neurons() if nd.role != "input"}
    net.set_parameters({c.key: float(v) for c, v in zip(conns, w)}, biases)


# ===================================================================== results
class Divergence(RuntimeError):
    """Training produced infinite or NaN values. ``epoch`` and ``step`` (1-based) say where;
    the trainer has been rolled back to ``restored_epoch``/``restored_step``."""

    def __init__(self, message: str, epoch: int, step: int, restored_epoch: int, restored_step: int):
        super().__init__(message)
        self.epoch, self.step = epoch, step
        self.restored_epoch, self.restored_step = restored_epoch, restored_step


@dataclass(frozen=True)
class Snapshot:
    """What the GUI sees of a training run at one moment. Arrays are fresh and read-only.

    ``weights``/``biases`` align with ``compiled.connection_keys``/``compiled.bias_ids``.
    ``neuron_grad`` aligns with ``compiled.neuron_ids``: for each non-input neuron, the mean
    over the samples of the last batch of ``|dL/dz|``, the per-sample loss's derivative by the
    neuron's pre-activation (0 before the first step). ``outputs`` are the network outputs
    (probabilities for classifiers) for the rows passed as ``inspect``, ``(rows, K)``.
    Costs and accuracies are those of the last completed epoch (None before the first).
    """

    epoch: int
    step: int
    train_cost: float | None
    val_cost: float | None
    train_accuracy: float | None
    val_accuracy: float | None
    weights: np.ndarray
    biases: np.ndarray
    neuron_grad: np.ndarray
    outputs: np.ndarray | None


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


# ===================================================================== trainer
class Trainer:
    """Trains a private compiled copy of a network on fixed data.

    ``X`` is ``(m, n_inputs)`` in input order, ``Y`` ``(m, n_outputs)`` (one-hot for softmax
    and ova, 0/1 for bce). The network passed in is never touched after construction; read
    learned weights with :meth:`parameters` and set them on the graph yourself.
    """

    def __init__(self, net: Network, settings: TrainingSettings, X, Y, X_val=None, Y_val=None,
                 state: dict | None = None):
        self.settings = settings
        self._setup(compile_network(net, settings.precision))
        self._train = Data(self.compiled, X, Y)
        if self._train.m == 0:
            raise ValueError("the training set is empty")
        self.m = self._train.m
        self._val = None
        if X_val is not None and len(X_val) > 0:
            self._val = Data(self.compiled, X_val, Y_val)
        self._rng = np.random.default_rng(settings.seed)
        self._epoch_rng_state = None
        self._perm: np.ndarray | None = None
        self._pos = 0
        self.epoch = 0
        self.step = 0
        self._adam_t = 0
        self._best_val: float | None = None
        self._bad_epochs = 0
        self.last_record: EpochRecord | None = None
        self.stop_reason: str | None = None
        self._last_factor = 1.0
        self._moments: dict[str, np.ndarray] = {}
        self._optimizer = settings.optimizer
        self._ensure_moments()
        if state is not None:
            self._restore(state)
        self._configure()
        self._take_backup(realloc=True)

    # ------------------------------------------------------------ set-up
    def _setup(self, compiled: CompiledNetwork, params: np.ndarray | None = None) -> None:
        """Adopt a compiled network (and its parameters, or ``params``); fresh buffers."""
        self.compiled: CompiledNetwork = compiled
        cn = compiled
        self._W = cn.new_params(params)
        self._G = aligned_zeros(cn.n_params, cn.dtype)
        self._T = aligned_zeros(cn.n_params, cn.dtype)
        self._evaluator = Evaluator(cn, self._W)
        self._engines: dict[int, Engine] = {}
        self._last_engine: Engine | None = None

    def _engine(self, b: int) -> Engine:
        e = self._engines.get(b)
        if e is None:
            e = self._engines[b] = Engine(self.compiled, self._W, self._G, b)
            if b == self.m:
                e.load_range(self._train, 0)      # the full batch never changes
        return e

    def _ensure_moments(self):
        """Zeroed optimizer state for the current optimizer (kept if it already exists)."""
        cn = self.compiled
        need = {"momentum": ("velocity",), "adam": ("m1", "m2")}.get(self._optimizer, ())
        for name in list(self._moments):
            if name not in need:
                del self._moments[name]
        for name in need:
            if name not in self._moments:
                self._moments[name] = aligned_zeros(cn.n_params, cn.dtype)

    def _configure(self) -> None:
        """Build constants and the compiled step for the current settings."""
        s, cn, dt = self.settings, self.compiled, self.compiled.dtype
        self._adam = s.optimizer == "adam"
        factor = 1.0 if self._adam else s.learning_rate
        self._factor = factor
        full = s.optimizer == "gd" or s.batch_size is None or s.batch_size >= self.m
        self._batch = self.m if full else int(s.batch_size)
        self._full = full
        W, G, T = self._W, self._G, self._T
        tail: list = []
        if s.l2 > 0:
            self._l2c = cn.reg_mask * dt.type(2.0 * s.l2 / self.m * factor)
            tail += [(np.multiply, (W, self._l2c, T)), (np.add, (G, T, G))]
        if s.l1 > 0:
            self._l1c = cn.reg_mask * dt.type(s.l1 / self.m * factor)
            tail += [(np.sign, (W, T)), (np.multiply, (T, self._l1c, T)), (np.add, (G, T, G))]
        if s.optimizer in ("gd", "sgd"):
            tail += [(np.subtract, (W, G, W))]
        elif s.optimizer == "momentum":
            v = self._moments["velocity"]
            self._mu = np.array(s.momentum, dtype=dt)
            tail += [(np.multiply, (v, self._mu, v)), (np.add, (v, G, v)), (np.subtract, (W, v, W))]
        else:
            m1, m2 = self._moments["m1"], self._moments["m2"]
            c = {k: np.array(v, dtype=dt) for k, v in
                 (("b1", s.beta1), ("1-b1", 1 - s.beta1), ("b2", s.beta2), ("1-b2", 1 - s.beta2),
                  ("step", 0.0), ("eps", 0.0))}
            self._adam_c = c
            tail += [(np.multiply, (m1, c["b1"], m1)), (np.multiply, (G, c["1-b1"], T)), (np.add, (m1, T, m1)),
                     (np.multiply, (G, G, T)), (np.multiply, (T, c["1-b2"], T)),
                     (np.multiply, (m2, c["b2"], m2)), (np.add, (m2, T, m2)),
                     (np.sqrt, (m2, T)), (np.add, (T, c["eps"], T)), (np.divide, (m1, T, T)),
                     (np.multiply, (T, c["step"], T)), (np.subtract, (W, T, W))]
        self._tail = tail
        self._steps: dict[int, tuple] = {}
        for b in self._batch_sizes():
            self._add_step(b)

    def _add_step(self, b: int) -> tuple:
        """Compile the step for batches of ``b`` samples (the current settings' tail)."""
        e = self._engine(b)
        e.scale[()] = self._factor / b
        step = self._steps[b] = (e, e.forward_calls + e.delta_calls, e.backward_calls + self._tail)
        return step

    def _batch_sizes(self) -> list[int]:
        b, m = self._batch, self.m
        return [m] if self._full else sorted({b, m % b} - {0})

    def update_settings(self, settings: TrainingSettings) -> None:
        """Apply new hyperparameters from the next step on, keeping the weights.

        A new optimizer starts with zeroed moments; a new precision converts the weights
        and moments (exactly from float32 to float64, rounded the other way). The seed
        only matters when a Trainer is created: changing it here does not reseed.
        """
        old = self.settings
        self.settings = settings
        if settings.precision != old.precision:
            dt = np.dtype(settings.precision)
            self._setup(self.compiled.astype(dt), self._W)
            self._moments = {k: self.compiled.new_params(v) for k, v in self._moments.items()}
            self._train = self._train.astype(dt)
            self._val = None if self._val is None else self._val.astype(dt)
        if settings.optimizer != self._optimizer:
            self._optimizer = settings.optimizer
            self._moments = {}
            self._adam_t = 0
            self._ensure_moments()
        self._configure()
        self._take_backup(realloc=True)

    # ------------------------------------------------------------ stepping
    def step_batch(self) -> None:
        """One optimizer update on the next mini-batch (gd: the whole training set)."""
        with np.errstate(all="ignore"):
            self._step()

    def _step(self) -> None:
        # The hot path: keep Python work here to a minimum (see ENGINE-SPEED.md).
        if self._backup_pending:
            self._take_backup()
        if self._full:
            e, head, tail = self._steps[self.m]
        else:
            pos = self._pos
            if pos == 0 or self._perm is None:
                self._start_epoch()
                pos = 0
            n = self.m - pos
            if n > self._batch:
                n = self._batch
            step = self._steps.get(n)
            e, head, tail = step if step is not None else self._add_step(n)
            e.load(self._train, self._perm[pos:pos + n])
        for f, args in head:
            f(*args)
        s = _sum(e.delta_out, None)
        if s - s:                         # inf or nan in the outputs
            self._diverge("the outputs became infinite or NaN")
        if self._adam:
            self._adam_t += 1
            t, st = self._adam_t, self.settings
            corr = math.sqrt(1.0 - st.beta2 ** t)
            self._adam_c["step"][()] = st.learning_rate * corr / (1.0 - st.beta1 ** t)
            self._adam_c["eps"][()] = max(st.epsilon * corr, 1e-30)
        for f, args in tail:
            f(*args)
        self._last_engine, self._last_factor = e, self._factor
        self.step += 1
        if self._full:
            self._end_epoch()
        else:
            self._pos = pos + n
            if self._pos >= self.m:
                self._pos = 0
                self._end_epoch()

    def _start_epoch(self) -> None:
        """Draw this epoch's order: exactly ``rng.permutation(m)`` (which shuffles
        ``arange(m)``), done in a buffer that is allocated once."""
        self._epoch_rng_state = self._rng.bit_generator.state
        if getattr(self, "_perm_buf", None) is None:
            self._arange = np.arange(self.m)
            self._perm_buf = np.empty(self.m, dtype=self._arange.dtype)
        np.copyto(self._perm_buf, self._arange)
        self._rng.shuffle(self._perm_buf)
        self._perm = self._perm_buf
        self._pos = 0

    def _end_epoch(self) -> None:
        self.epoch += 1
        self._perm = None
        self._pos = 0
        if self.step - self._bk["step"] >= BACKUP_EVERY_STEPS or not self._full:
            self._backup_pending = True

    def run_epoch(self) -> EpochRecord:
        """Finish the current epoch (a whole one if none is under way) and return its record."""
        with np.errstate(all="ignore"):
            start = self.epoch
            while self.epoch == start:
                self._step()
            return self._record()

    def train(self, epochs: int | None = None) -> Iterator[EpochRecord]:
        """Run ``epochs`` (default ``settings.epochs``) epochs, yielding one record each.

        Stops early when the training cost reaches ``settings.target_cost`` or the
        validation cost has not improved for ``settings.early_stop_patience`` epochs
        (``stop_reason`` says which). Raises :class:`Divergence` after rolling back.
        """
        n = self.settings.epochs if epochs is None else int(epochs)
        self.stop_reason = None
        for _ in range(n):
            rec = self.run_epoch()
            yield rec
            reason = self._stop_reason(rec)
            if reason:
                self.stop_reason = reason
                return

    def _stop_reason(self, rec: EpochRecord) -> str | None:
        s = self.settings
        if s.target_cost is not None and rec.train_cost <= s.target_cost:
            return f"the training cost {rec.train_cost:.6g} reached the target {s.target_cost:g}"
        if s.early_stop_patience is not None and self._val is not None \
                and self._bad_epochs >= s.early_stop_patience:
            return (f"the validation cost has not improved for {self._bad_epochs} epochs "
                    f"(best {self._best_val:.6g})")
        return None

    # ------------------------------------------------------------ measuring
    def _record(self) -> EpochRecord:
        train_cost = self.cost()
        if not math.isfinite(train_cost):
            self._diverge("the cost became infinite or NaN", during=False)
        val_cost = train_acc = val_acc = None
        if self._val is not None:
            val_cost = self._evaluator.data_cost(self._val)
        if self.compiled.loss in losses.CLASSIFICATION:
            from nnstudio.core.metrics import accuracy_from_outputs

            train_acc = accuracy_from_outputs(self.compiled.loss, self._evaluator.outputs(self._train),
                                              self._train.targets)
            if self._val is not None:
                val_acc = accuracy_from_outputs(self.compiled.loss, self._evaluator.outputs(self._val),
                                                self._val.targets)
        if val_cost is not None:
            if self._best_val is None or val_cost < self._best_val:
                self._best_val, self._bad_epochs = val_cost, 0
            else:
                self._bad_epochs += 1
        rec = EpochRecord(epoch=self.epoch, step=self.step, train_cost=train_cost, val_cost=val_cost,
                          train_accuracy=train_acc, val_accuracy=val_acc)
        self.last_record = rec
        self._take_backup()
        return rec

    def cost(self) -> float:
        """The full training-set cost ``J`` including regularization, for the current weights."""
        s = self.settings
        with np.errstate(all="ignore"):
            return (self._evaluator.data_cost(self._train)
                    + eng_mod.regularization_cost(self.compiled, self._W, self.m, s.l1, s.l2))

    def validation_cost(self) -> float | None:
        """The validation data cost (no penalty term), or None without a validation set."""
        if self._val is None:
            return None
        with np.errstate(all="ignore"):
            return self._evaluator.data_cost(self._val)

    def parameters(self) -> tuple[dict, dict]:
        """(weights by connection key, biases by neuron id) for ``Network.set_parameters``."""
        return self.compiled.to_network_parameters(self._W)

    def predict(self, X) -> np.ndarray:
        """Outputs ``(m, K)`` of the current weights for inputs ``X``."""
        return eng_mod.forward(self.compiled, self._W, X)

    def snapshot(self, inspect: np.ndarray | None = None) -> Snapshot:
        cn = self.compiled
        if self._last_engine is None:
            grad = np.zeros(len(cn.neuron_ids), dtype=cn.dtype)
        else:
            grad = np.abs(self._last_engine.deltas()).sum(axis=1) / cn.dtype.type(self._last_factor)
        outputs = None if inspect is None else self.predict(inspect)
        rec = self.last_record
        return Snapshot(
            epoch=self.epoch, step=self.step,
            train_cost=rec.train_cost if rec else None, val_cost=rec.val_cost if rec else None,
            train_accuracy=rec.train_accuracy if rec else None, val_accuracy=rec.val_accuracy if rec else None,
            weights=_readonly(cn.weights_vector(self._W)), biases=_readonly(cn.biases_vector(self._W)),
            neuron_grad=_readonly(grad), outputs=None if outputs is None else _readonly(outputs))

    # ------------------------------------------------------------ divergence
    def _take_backup(self, realloc: bool = False) -> None:
        """Remember the current weights, moments and counters (into preallocated arrays).

        Called at the end of an epoch (at most every ``BACKUP_EVERY_STEPS`` steps with full
        batches, where every step is an epoch), after checking the weights are finite.
        """
        total = np.add.reduce(self._W)
        if total - total:                 # some weight is inf or nan (or they sum beyond 1e308)
            if getattr(self, "_bk", None) is None:
                raise ValueError("the network has infinite or NaN weights: initialize it first")
            self._diverge("the weights became infinite or NaN", during=False)
        if realloc or getattr(self, "_bk", None) is None:
            self._bk = {"W": self._W.copy(), "moments": {k: v.copy() for k, v in self._moments.items()}}
        else:
            np.copyto(self._bk["W"], self._W)
            for k, v in self._moments.items():
                np.copyto(self._bk["moments"][k], v)
        self._bk.update(
            epoch=self.epoch, step=self.step, pos=self._pos, epoch_rng=self._epoch_rng_state,
            rng=None if self._full else self._rng.bit_generator.state,
            adam_t=self._adam_t, best_val=self._best_val, bad=self._bad_epochs, record=self.last_record)
        self._backup_pending = False

    def _restore_backup(self) -> None:
        b = self._bk
        np.copyto(self._W, b["W"])
        for k, v in b["moments"].items():
            np.copyto(self._moments[k], v)
        self.epoch, self.step, self._pos = b["epoch"], b["step"], b["pos"]
        if b["rng"] is not None:
            self._rng.bit_generator.state = b["rng"]
        self._epoch_rng_state = b["epoch_rng"]
        self._perm = None
        if self._pos:
            pos = self._pos
            self._rng.bit_generator.state = b["epoch_rng"]
            self._start_epoch()
            self._pos = pos
        self._adam_t, self._best_val, self._bad_epochs = b["adam_t"], b["best_val"], b["bad"]
        self.last_record = b["record"]
        self._last_engine = None
        self._backup_pending = False

    def _diverge(self, why: str, during: bool = True) -> None:
        epoch = self.epoch + 1 if during else self.epoch
        step = self.step + 1 if during else self.step
        self._restore_backup()
        s = self.settings
        where = (f"the end of epoch {self.epoch} (step {self.step})" if self.epoch
                 else "their values before training")
        lr = s.learning_rate
        hint = f"Try a smaller learning rate, now {lr:g} (for example {lr / 10:g})"
        if not s.standardize:
            hint += ", or standardize the inputs"
        raise Divergence(f"Training diverged at epoch {epoch}, step {step}: {why}. "
                         f"The weights were restored to {where}. {hint}.",
                         epoch, step, self.epoch, self.step)

    # ------------------------------------------------------------ state
    def state(self) -> dict:
        """Everything besides the weights and settings needed to continue exactly: plain
        JSON data (lists, ints, floats, strings) that survives a JSON round trip exactly."""
        cn = self.compiled
        rng_state = self._epoch_rng_state if self._pos else self._rng.bit_generator.state
        return {
            "format": STATE_FORMAT,
            "epoch": self.epoch, "step": self.step, "position": self._pos, "samples": self.m,
            "rng": _rng_to_json(rng_state),
            "optimizer": self._optimizer, "adam_t": self._adam_t,
            "connections": [list(k) for k in cn.connection_keys],
            "neurons": list(cn.bias_ids),
            "moments": {k: {"weights": cn.weights_vector(v).tolist(), "biases": cn.biases_vector(v).tolist()}
                        for k, v in self._moments.items()},
            "best_val": self._best_val, "bad_epochs": self._bad_epochs,
        }

    def _restore(self, state: dict) -> None:
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"unknown training state format {state.get('format')!r}")
        cn = self.compiled
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self._rng.bit_generator.state = _rng_from_json(state["rng"])
        pos = int(state.get("position", 0))
        if pos and int(state.get("samples", -1)) == self.m:
            self._start_epoch()
            self._pos = pos
        self._best_val = state.get("best_val")
        self._bad_epochs = int(state.get("bad_epochs", 0))
        if state.get("optimizer") == self._optimizer:
            self._adam_t = int(state.get("adam_t", 0))
            keys = [tuple(k) for k in state["connections"]]
            w_at = {k: i for i, k in enumerate(cn.connection_keys)}
            b_at = {nid: i for i, nid in enumerate(cn.bias_ids)}
            for name, values in state.get("moments", {}).items():
                if name not in self._moments:
                    continue
                w = np.zeros(len(cn.connection_keys))
                b = np.zeros(len(cn.bias_ids))
                for k, v in zip(keys, values["weights"]):
                    if k in w_at:
                        w[w_at[k]] = v
                for nid, v in zip(state["neurons"], values["biases"]):
                    if nid in b_at:
                        b[b_at[nid]] = v
                np.copyto(self._moments[name], cn.params_from_vectors(w, b))


def _rng_to_json(state: dict) -> dict:
    """A bit-generator state with its big integers as decimal strings (portable JSON)."""
    def conv(v):
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2 ** 53:
            return {"int": str(v)}
        return v
    return conv(state)


def _rng_from_json(state: dict) -> dict:
    def conv(v):
        if isinstance(v, dict):
            if set(v) == {"int"}:
                return int(v["int"])
            return {k: conv(x) for k, x in v.items()}
        return v
    return conv(state)
