"""Training in the app: the worker thread, its controller, the hyperparameter panel and
the one call that installs them in the main window (:func:`install_training`)."""

from nnstudio.gui.canvas import _pyside_guard as _none_guard  # noqa: F401  (PySide6 6.12: None)
from nnstudio.gui.training import _bool_guard  # noqa: F401  (and True's)
