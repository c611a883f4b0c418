"""The docked panels around the canvas: palette, inspector, dataset, training area.

Each panel reads the open :class:`~nnstudio.gui.document.Document` and changes it only
through undo commands; none of them keeps model state of its own.
"""

from nnstudio.gui.panels.dataset import DatasetPanel
from nnstudio.gui.panels.inspector import InspectorPanel
from nnstudio.gui.panels.palette import PalettePanel

__all__ = ["DatasetPanel", "InspectorPanel", "PalettePanel"]
