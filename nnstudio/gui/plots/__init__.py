"""Live training views (pyqtgraph), fed by snapshots through :class:`~nnstudio.gui.plots.hub.ViewHub`:
cost, weights, gradients, outputs, data; and exporting them (PNG, SVG, CSV)."""

from nnstudio.gui.canvas import _pyside_guard as _none_guard  # noqa: F401  (PySide6 6.12: None)
from nnstudio.gui.training import _bool_guard  # noqa: F401  (and True's)
