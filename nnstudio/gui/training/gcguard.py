"""Python's cyclic garbage collector, run only in the GUI thread while training runs.

The collector runs in whichever thread happens to allocate when a threshold is crossed.
With a training thread allocating all the time, that is usually the worker, and a cycle
of dead Qt objects (a closed window's widgets, a pyqtgraph item) is then destroyed from
the worker thread: Qt forbids it, and it deadlocks (seen: the worker inside
``QObject::~QObject`` waiting for the GIL, the GUI thread waiting for a Qt mutex the
worker holds). The usual cure for Qt applications: switch automatic collection off and
collect from a timer in the GUI thread, with the same thresholds. Installed when the
first training thread starts; automatic collection comes back when the last one ends.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 250


class MainThreadCollector(QObject):
    """Collect garbage on a GUI-thread timer while any training thread runs."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self._users = 0
        self._was_enabled = True
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect)

    def acquire(self) -> None:
        """A training thread starts: from now on only the GUI thread collects."""
        if self._users == 0:
            self._was_enabled = gc.isenabled()
            gc.disable()
            self._timer.start()
        self._users += 1

    def release(self) -> None:
        """A training thread has ended (call in the GUI thread)."""
        if self._users == 0:
            return
        self._users -= 1
        if self._users == 0:
            self._timer.stop()
            self.collect()
            if self._was_enabled:
                gc.enable()

    def collect(self) -> None:
        """What automatic collection would have done by now, generation by generation."""
        c0, c1, c2 = gc.get_count()
        t0, t1, t2 = self.threshold
        if c0 > t0:
            gc.collect(0)
            if c1 > t1:
                gc.collect(1)
                if c2 > t2:
                    gc.collect(2)


_collector: MainThreadCollector | None = None


def collector() -> MainThreadCollector:
    """The application's collector (created on first use, parented to the app)."""
    global _collector
    if _collector is None:
        _collector = MainThreadCollector(QCoreApplication.instance())
    return _collector
