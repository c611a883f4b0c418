"""Training settings, the data binding and training history: the plain data a project holds
besides its network. Everything here round-trips through the network file exactly."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace

OPTIMIZERS = ("gd", "sgd", "momentum", "adam")
INITIALIZATIONS = ("glorot", "he", "uniform", "zeros")
PRECISIONS = ("float64", "float32")


class SettingsError(ValueError):
    """A setting with an impossible value; the message names the setting and the value."""


@dataclass(frozen=True)
class TrainingSettings:
    """Hyperparameters. ``batch_size`` None means the whole training set (batch gradient
    descent); ``gd`` always uses the whole set, ``sgd``/``momentum``/``adam`` use mini-batches.

    Regularization follows TOPICS.md: ``J + (l2/m) sum W^2 + (l1/m) sum |W|``, biases never
    penalized.
    """

    optimizer: str = "gd"
    learning_rate: float = 0.1
    epochs: int = 100
    batch_size: int | None = None
    l1: float = 0.0
    l2: float = 0.0
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    init: str = "glorot"
    seed: int = 0
    precision: str = "float64"
    split: tuple[float, float, float] = (1.0, 0.0, 0.0)
    standardize: bool = False
    target_cost: float | None = None
    early_stop_patience: int | None = None

    def __post_init__(self) -> None:
        self._check_types()
        problems = []
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer '{self.optimizer}' is unknown (choose {', '.join(OPTIMIZERS)})")
        if not (self.learning_rate > 0):
            problems.append(f"learning rate must be positive, got {self.learning_rate}")
        if int(self.epochs) != self.epochs or self.epochs < 0:
            problems.append(f"epochs must be a whole number >= 0, got {self.epochs}")
        if self.batch_size is not None and (int(self.batch_size) != self.batch_size or self.batch_size < 1):
            problems.append(f"batch size must be a whole number >= 1 or 'all', got {self.batch_size}")
        for name in ("l1", "l2"):
            if not (getattr(self, name) >= 0):
                problems.append(f"{name.upper()} strength must be >= 0, got {getattr(self, name)}")
        if not (0 <= self.momentum < 1):
            problems.append(f"momentum must be in [0, 1), got {self.momentum}")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            problems.append(f"Adam betas must be in [0, 1), got {self.beta1}, {self.beta2}")
        if self.init not in INITIALIZATIONS:
            problems.append(f"initialization '{self.init}' is unknown (choose {', '.join(INITIALIZATIONS)})")
        if self.precision not in PRECISIONS:
            problems.append(f"precision '{self.precision}' is unknown (choose float64 or float32)")
        if len(self.split) != 3 or any(not (f >= 0) for f in self.split) or abs(sum(self.split) - 1) > 1e-9:
            problems.append(f"split must be three fractions >= 0 that add up to 1, got {self.split}")
        elif self.split[0] <= 0:
            problems.append("the training split must not be empty")
        if self.seed < 0:
            problems.append(f"seed must be >= 0, got {self.seed}")
        if not (self.epsilon > 0):
            problems.append(f"epsilon must be positive, got {self.epsilon}")
        if self.early_stop_patience is not None and self.early_stop_patience < 1:
            problems.append(f"early-stop patience must be >= 1 epoch, got {self.early_stop_patience}")
        if problems:
            raise SettingsError("; ".join(problems))

    def _check_types(self) -> None:
        """Coerce whole numbers and reals, and refuse what is neither, naming the setting."""
        def number(name, value, kind, optional=False):
            if value is None and optional:
                return None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise SettingsError(f"{name} must be a finite number, got {value!r}")
            if kind is int:
                if value != int(value):
                    raise SettingsError(f"{name} must be a whole number, got {value!r}")
                return int(value)
            return float(value)

        for name in ("epochs", "seed"):
            object.__setattr__(self, name, number(name, getattr(self, name), int))
        for name in ("batch_size", "early_stop_patience"):
            object.__setattr__(self, name, number(name, getattr(self, name), int, optional=True))
        for name in ("learning_rate", "l1", "l2", "momentum", "beta1", "beta2", "epsilon"):
            object.__setattr__(self, name, number(name, getattr(self, name), float))
        object.__setattr__(self, "target_cost", number("target_cost", self.target_cost, float, optional=True))
        if not isinstance(self.standardize, bool):
            raise SettingsError(f"standardize must be true or false, got {self.standardize!r}")
        try:
            split = tuple(number("split", f, float) for f in self.split)
        except TypeError:
            raise SettingsError(f"split must be three fractions, got {self.split!r}") from None
        object.__setattr__(self, "split", split)
        for name in ("optimizer", "init", "precision"):
            if not isinstance(getattr(self, name), str):
                raise SettingsError(f"{name} must be text, got {getattr(self, name)!r}")

    def with_changes(self, **changes) -> "TrainingSettings":
        """A copy with some settings changed (validated)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise SettingsError(f"unknown setting {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["split"] = list(self.split)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainingSettings":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise SettingsError(f"unknown setting {', '.join(sorted(unknown))}")
        return cls(**d)


@dataclass
class DataBinding:
    """Which dataset the network trains on and how its columns map to neurons.

    ``path`` is stored relative to the network file. Feature expressions come from the
    input neurons' ``feature`` fields; the scaler (mean/std per input, fitted on the
    training split) is kept so new data gets the same transform.
    """

    path: str
    target: str
    task: str = "regression"
    classes: list[str] | None = None
    scaler: dict | None = None          # Standardizer.to_dict()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "DataBinding":
        return cls(**d)


@dataclass
class EpochRecord:
    """One line of training history."""

    epoch: int
    step: int
    train_cost: float
    val_cost: float | None = None
    train_accuracy: float | None = None
    val_accuracy: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Project:
    """Everything one network file holds: the network, its settings, its data binding,
    the optimizer and random-number state to continue training exactly, and the history."""

    network: "Network"
    settings: TrainingSettings = field(default_factory=TrainingSettings)
    data: DataBinding | None = None
    history: list[EpochRecord] = field(default_factory=list)
    state: dict | None = None           # optimizer + RNG state, owned by core.training
    notes: str = ""


from nnstudio.core.graph import Network  # noqa: E402  (for the annotation above)
