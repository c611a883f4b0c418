"""Live training views (pyqtgraph), fed by snapshots through :class:`~nnstudio.gui.plots.hub.ViewHub`:
cost, weights, gradients, outputs, data; and exporting them (PNG, SVG, CSV)."""
