"""Saving what the views show: any view as PNG (pyqtgraph's image exporter) or SVG, and
the training history as CSV.

SVG is drawn with Qt's own :class:`QSvgGenerator`: pyqtgraph 0.14's SVG exporter cannot
parse the path data Qt 6.12 writes (pyqtgraph issue #3485). Items the views draw from
cached pixmaps (axes, labels, legends) are drawn uncached for the export, so the SVG holds
vector text and lines, not pictures of them.
"""

from __future__ import annotations

import csv
import math
import os

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (registers the exporters)

HISTORY_COLUMNS = ("epoch", "step", "train_cost", "val_cost", "train_accuracy", "val_accuracy")


def _target(view):
    target = view.export_targets() if hasattr(view, "export_targets") else None
    if target is None:
        target = view.graphics.scene()
    return target


def export_view(view, path: str | os.PathLike, width: int | None = None) -> str:
    """Save ``view`` (a :class:`~nnstudio.gui.plots.base.TrainingView`, or anything with a
    ``graphics`` widget) to ``path``: ``.png`` or ``.svg`` by the extension."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".csv" and hasattr(view, "history_rows"):
        return export_history_csv(view.history_rows(), path)
    target = _target(view)
    if ext == ".png":
        exporter = pg.exporters.ImageExporter(target)
        if width is not None:
            exporter.parameters()["width"] = int(width)
        exporter.export(path)
    elif ext == ".svg":
        export_svg(view.graphics, path, getattr(view, "title", "nnstudio"))
    else:
        raise ValueError(f"cannot export to {os.path.basename(path)}: use .png or .svg")
    return path


def export_svg(widget, path: str, title: str = "nnstudio") -> str:
    """Draw the whole scene of ``widget`` (a pyqtgraph GraphicsView) into an SVG file."""
    from PySide6.QtCore import QRect, QRectF, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator
    from PySide6.QtWidgets import QGraphicsItem

    scene = widget.scene()
    rect = widget.viewport().rect()
    source = widget.mapToScene(rect).boundingRect()
    cached = [item for item in scene.items()
              if item.cacheMode() != QGraphicsItem.CacheMode.NoCache]
    modes = [item.cacheMode() for item in cached]
    for item in cached:
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    try:
        generator = QSvgGenerator()
        generator.setFileName(os.fspath(path))
        generator.setSize(QSize(rect.width(), rect.height()))
        # the screen's resolution: pyqtgraph's axes replay QPictures recorded on screen,
        # which QPainter rescales by the ratio of resolutions (the default 72 dpi shrank
        # every axis to three quarters of its plot)
        generator.setResolution(widget.logicalDpiX())
        generator.setViewBox(QRect(0, 0, rect.width(), rect.height()))
        generator.setTitle(title)
        generator.setDescription("exported from nnstudio")
        painter = QPainter(generator)
        # pyqtgraph's export mode: scatter symbols drawn as shapes, not copied from a
        # pixmap atlas (SVG has no pixmap fragments: they came out as smudges)
        exporting = [item for item in scene.items() if hasattr(item, "setExportMode")]
        try:
            for item in exporting:
                item.setExportMode(True, {"antialias": True, "painter": painter,
                                          "resolutionScale": 1.0})
            painter.fillRect(QRectF(0, 0, rect.width(), rect.height()), widget.backgroundBrush())
            scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), source)
        finally:
            for item in exporting:
                item.setExportMode(False)
            painter.end()
    finally:
        for item, mode in zip(cached, modes):
            item.setCacheMode(mode)
    return path


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value)


def export_history_csv(history, path: str | os.PathLike) -> str:
    """The training history, one line per epoch: ``epoch, step, train_cost, val_cost,
    train_accuracy, val_accuracy`` (empty cells where there is no value), exact floats."""
    path = os.fspath(path)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HISTORY_COLUMNS)
        for record in history:
            out.writerow([_cell(getattr(record, name)) for name in HISTORY_COLUMNS])
    return path
