"""Every neuron's activation on one row of the data: what the canvas fills its neurons with
when a row of the dataset preview is selected.

The row goes through the same preparation as the network's data everywhere else
(:mod:`nnstudio.core.workflow`): the input neurons' features (derived ones such as ``x^2``
included) and the stored feature scaling (:func:`~nnstudio.core.workflow.prepare_evaluation`).
A project that will standardize its features but has not stored a scaling yet (never
trained) gets the scaling training would fit (:func:`~nnstudio.core.workflow.prepare_training`,
training rows of the split), so an input neuron shows the value the network receives.
Then one forward pass of the core engine on the network's current weights and biases,
which leaves every neuron's activation in the engine's buffer (one row: cheap, on the GUI
thread).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core.compile import compile_network
from nnstudio.core.data import DataError, Table
from nnstudio.core.engine import Data, Engine
from nnstudio.core.graph import NetworkError
from nnstudio.core.settings import Project
from nnstudio.core.workflow import prepare_evaluation, prepare_training

#: what can go wrong: data that does not fit the network, a network that cannot run
SAMPLE_ERRORS = (DataError, NetworkError, ValueError)


@dataclass
class Sample:
    """One data row run through the network."""

    row: int
    #: activation of every neuron by id (an input's is the value it receives)
    activations: dict[int, float]
    #: the inputs were standardized on the way in
    scaled: bool


def _one_row(table: Table, row: int) -> Table:
    return Table(path=table.path, columns=table.columns, cells=(table.cells[row],),
                 lines=(table.line(row),))


def _inputs(project: Project, table: Table, row: int) -> tuple[np.ndarray, bool]:
    """The input neurons' values for ``row`` (net.inputs() order), and whether scaled."""
    binding = project.data
    if project.settings.standardize and (binding is None or binding.scaler is None):
        try:  # the scaling training would fit (on the training rows of the split)
            prepared = prepare_training(project, table)
            return prepared.X[row], prepared.scaler is not None
        except SAMPLE_ERRORS:
            pass  # e.g. the outputs do not match the classes yet: the raw inputs
    prepared = prepare_evaluation(project, _one_row(table, row), require_target=False)
    return prepared.X[0], prepared.scaler is not None


def sample_activations(project: Project, table: Table, row: int) -> Sample:
    """Run data row ``row`` (0-based) of ``table`` through ``project.network``. Raises
    one of :data:`SAMPLE_ERRORS` with a message to show when it cannot."""
    if not 0 <= row < table.m:
        raise ValueError(f"there is no row {row + 1} in the data")
    net = project.network
    x, scaled = _inputs(project, table, row)
    cn = compile_network(net)
    engine = Engine(cn, cn.new_params(), None, 1)
    engine.load_range(Data(cn, x.reshape(1, -1)), 0)
    with np.errstate(all="ignore"):
        engine.forward()
    values = {nid: float(x[j]) for j, nid in enumerate(cn.input_ids)}
    column = engine.A[cn.neuron_rows, 0]
    values.update({nid: float(v) for nid, v in zip(cn.neuron_ids, column.tolist())})
    return Sample(row=row, activations=values, scaled=scaled)
