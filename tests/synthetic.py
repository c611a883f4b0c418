"""Random inputs and targets for engine and training tests."""

from __future__ import annotations

import numpy as np


def random_batch(rng: np.random.Generator, n_in: int, n_out: int, output: str,
                 m: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` normal input rows and targets that suit the ``output`` activation: one-hot
    rows for softmax and one-versus-all, 0/1 for sigmoid, normal values otherwise."""
    X = rng.normal(size=(m, n_in))
    if output in ("softmax", "ova"):
        Y = np.eye(n_out)[rng.integers(0, n_out, m)]
    elif output == "sigmoid":
        Y = rng.integers(0, 2, (m, n_out)).astype(float)
    else:
        Y = rng.normal(size=(m, n_out))
    return X, Y
