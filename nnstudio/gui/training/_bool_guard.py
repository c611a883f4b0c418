"""Work around a second reference-count bug of PySide6 6.12.0 on Python < 3.12.

``Signal.emit`` returns ``True`` without taking a reference to it, so every emit lowers
``True``'s reference count by one; on 3.11 the count reaches zero after a few thousand
emits and the interpreter aborts with "Fatal Python error: bool_dealloc". (The canvas's
guard, ``nnstudio.gui.canvas._pyside_guard``, covers the same bug for ``None``.) Training
emits a frame 30 times a second, and pyqtgraph emits signals on every redraw, so this
matters within minutes.

:func:`install` measures the leak and, only if it is there, raises the counts of ``True``
and ``False`` so far that they can never reach zero. Remove once the project requires a
PySide6 without the bug.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40
_installed = False


def leaks_bool() -> bool:
    """True if emitting a signal lowers True's reference count."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        sig = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(16):
        probe.sig.emit()
    return sys.getrefcount(True) < before - 8


def install() -> bool:
    """Protect this process from the leak if this PySide6 has it; True if it was needed."""
    global _installed
    if _installed or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _installed
    if leaks_bool():
        for value in (True, False):
            ctypes.c_ssize_t.from_address(id(value)).value += _HEADROOM
        _installed = True
    return _installed


install()
