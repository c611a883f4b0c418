"""Work around a reference-count bug of PySide6 6.12.0 on Python < 3.12.

In that release every Qt method that returns nothing hands Python a ``None`` without
taking a reference to it, so each call lowers ``None``'s reference count by one. Python
3.12+ made ``None`` immortal, so there it is harmless; on 3.11 the count reaches zero after
a few thousand calls and the interpreter aborts with "Fatal Python error: none_dealloc".

:func:`install` measures the leak and, only if it is there, raises ``None``'s count so far
that it can never reach zero. The real fix is a PySide6 release without the bug (6.11.3
has none); remove this module once the project requires one.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40
_installed = False


def leaks_none() -> bool:
    """True if calling a void Qt method lowers None's reference count."""
    from PySide6.QtCore import QPointF

    point = QPointF()
    before = sys.getrefcount(None)
    for _ in range(16):
        point.setX(1.0)
    return sys.getrefcount(None) < before - 8


def install() -> bool:
    """Protect this process from the leak if this PySide6 has it; True if protection was needed."""
    global _installed
    if _installed or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _installed
    if leaks_none():
        ctypes.c_ssize_t.from_address(id(None)).value += _HEADROOM
        _installed = True
    return _installed


install()
