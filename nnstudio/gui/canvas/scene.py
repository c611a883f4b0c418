"""The scene: a mirror of one :class:`~nnstudio.core.graph.Network`, kept in step by the
network's events.

The scene never changes the network. Edits come from commands on the undo stack; the
network emits events; :meth:`NetworkScene._on_event` adds, removes, moves and repaints
items. Besides the mirror the scene holds only view state: the selection, hover,
per-neuron sample activations and gradient halos, and the validation problems to outline
(recomputed once per event-loop turn after edits, not once per event).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QGraphicsScene

from ...core.graph import Event, Network, Problem
from .items import RADIUS, ConnectionLayer, NeuronItem, _fmt, label_fits_inside

Key = tuple[int, int]


class NetworkScene(QGraphicsScene):
    """A QGraphicsScene mirroring a network.

    Signals
    -------
    sigSelectionChanged(list, list)
        selected neuron ids, selected connection keys ``(source, target)``; both sorted.
    sigProblemsChanged(list)
        the network's current validation problems (``list[Problem]``).
    """

    sigSelectionChanged = Signal(list, list)
    sigProblemsChanged = Signal(list)

    def __init__(self, network: Network, parent=None) -> None:
        super().__init__(parent)
        self.setItemIndexMethod(QGraphicsScene.BspTreeIndex)
        self.network: Network | None = None
        self.items_by_id: dict[int, NeuronItem] = {}
        self.layer = ConnectionLayer(self._centre, self._changes_pending)
        self.addItem(self.layer)
        self.activations: dict[int, float] | None = None
        self.gradient_halo: dict[int, float] | None = None
        self.gradient_scale = 0.0
        self.preview_biases: dict[int, float] | None = None
        #: per role, how many labels are too long to go inside their neuron (all labels of
        #: a role with any go beside their neurons: see NeuronItem._outside_label_rect)
        self._long_labels: dict[str, int] = {}
        self.problems: dict[int, list[Problem]] = {}
        self.all_problems: list[Problem] = []
        self._selected: set[int] = set()
        #: the selection lost members to a model change and the signal is still owed
        #: (see :meth:`flush_pending`)
        self._selection_dirty = False
        self._selection_timer = QTimer(self)
        self._selection_timer.setSingleShot(True)
        self._selection_timer.setInterval(0)
        self._selection_timer.timeout.connect(self.flush_pending)
        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(0)
        self._validate_timer.timeout.connect(self.validate_now)
        self.set_network(network)

    # --------------------------------------------------------------- building
    def set_network(self, network: Network) -> None:
        """Mirror ``network`` instead of the current one (rebuilds every item)."""
        if self.network is not None:
            self.network.unsubscribe(self._on_event)
        self.set_selection([], [])
        for item in self.items_by_id.values():
            self.removeItem(item)
        self.items_by_id = {}
        self.activations = self.gradient_halo = self.preview_biases = None
        self.network = network
        self._long_labels = {}
        for neuron in network.neurons():
            self._add_item(neuron.id)
        self.layer.rebuild((c.source, c.target, c.weight) for c in network.connections())
        network.subscribe(self._on_event)
        self.validate_now()

    def detach(self) -> None:
        """Stop following the network (call before throwing the scene away)."""
        if self.network is not None:
            self.network.unsubscribe(self._on_event)
        self._validate_timer.stop()
        self._selection_timer.stop()

    def _add_item(self, nid: int) -> NeuronItem:
        n = self.network.neuron(nid)
        item = NeuronItem(nid)
        item.setPos(n.x, n.y)
        self.items_by_id[nid] = item
        self._count_label(item)
        self.addItem(item)
        item.refresh()
        return item

    # ----------------------------------------------------------------- labels
    def labels_outside(self, role: str) -> bool:
        """True when the labels of ``role`` go beside their neurons (one of them is too
        long for the inside)."""
        return self._long_labels.get(role, 0) > 0

    def _count_label(self, item: NeuronItem, refresh: bool = True) -> None:
        """Count ``item``'s label (its current role and label) in place of what was
        counted before; when a role's placement flips, re-lay out that role's neurons."""
        n = self.network.neuron(item.nid) if item.nid in self.network else None
        new = (n.role, not label_fits_inside(n.label, n.role)) if n is not None else None
        self._uncount_label(item, refresh)
        if new is not None:
            role, long = new
            before = self.labels_outside(role)
            self._long_labels[role] = self._long_labels.get(role, 0) + long
            item.label_state = new
            if refresh and before != self.labels_outside(role):
                self._relabel(role)

    def _uncount_label(self, item: NeuronItem, refresh: bool = True) -> None:
        if item.label_state is None:
            return
        role, long = item.label_state
        item.label_state = None
        before = self.labels_outside(role)
        self._long_labels[role] = self._long_labels.get(role, 0) - long
        if refresh and before != self.labels_outside(role):
            self._relabel(role)

    def _relabel(self, role: str) -> None:
        for item in self.items_by_id.values():
            if item.label_state is not None and item.label_state[0] == role:
                item.refresh()

    def _centre(self, nid: int) -> tuple[float, float]:
        item = self.items_by_id.get(nid)
        if item is not None:
            p = item.pos()
            return p.x(), p.y()
        n = self.network.neuron(nid)
        return n.x, n.y

    # ----------------------------------------------------------------- events
    def _on_event(self, ev: Event) -> None:
        kind = ev.kind
        net = self.network
        if kind == "connection_added":
            self.layer.add(ev.connection, net.connection(*ev.connection).weight)
        elif kind == "connection_removed":
            was_selected = ev.connection in self.layer.selected
            self.layer.remove(ev.connection)
            if was_selected:
                self._selection_lost()
        elif kind == "connection_changed":
            self.layer.set_weight(ev.connection, net.connection(*ev.connection).weight)
            return  # weights do not change validity
        elif kind == "neuron_added":
            self._add_item(ev.neuron)
        elif kind == "neuron_removed":
            item = self.items_by_id.pop(ev.neuron, None)
            if item is not None:
                self._uncount_label(item)
                self.removeItem(item)
            self.problems.pop(ev.neuron, None)
            if ev.neuron in self._selected:
                self._selected.discard(ev.neuron)
                self._selection_lost()
        elif kind == "neuron_changed":
            item = self.items_by_id.get(ev.neuron)
            if item is None:
                return
            if "x" in ev.fields or "y" in ev.fields:
                n = net.neuron(ev.neuron)
                if item.pos() != QPointF(n.x, n.y):
                    item.setPos(n.x, n.y)
                    self.layer.neuron_moved(ev.neuron)
            if "label" in ev.fields or "role" in ev.fields:
                self._count_label(item)
            if set(ev.fields) - {"x", "y"}:
                item.refresh()
            if set(ev.fields) <= {"x", "y", "bias", "feature", "target"}:
                return
        elif kind == "network_changed":
            if "weights" in ev.fields:
                weights, _ = net.parameters()
                self.layer.set_weights(weights)
                for item in self.items_by_id.values():
                    item.update()
            else:
                for item in self.items_by_id.values():
                    item.refresh()
        self.schedule_validation()

    # ------------------------------------------------------------- validation
    def schedule_validation(self) -> None:
        if not self._validate_timer.isActive():
            self._validate_timer.start()

    def validate_now(self) -> None:
        """Recompute the validation problems and outline the neurons concerned."""
        self._validate_timer.stop()
        problems = self.network.validate() if self.network is not None else []
        by_neuron: dict[int, list[Problem]] = {}
        for p in problems:
            for nid in p.neurons:
                by_neuron.setdefault(nid, []).append(p)
        changed = set(by_neuron) ^ set(self.problems)
        changed |= {nid for nid in by_neuron if by_neuron[nid] != self.problems.get(nid)}
        self.problems = by_neuron
        self.all_problems = problems
        for nid in changed:
            item = self.items_by_id.get(nid)
            if item is not None:
                item.update()
        self.sigProblemsChanged.emit(list(problems))

    # -------------------------------------------------------------- selection
    def selected_neurons(self) -> list[int]:
        return sorted(self._selected)

    def selected_connections(self) -> list[Key]:
        return sorted(self.layer.selected)

    def set_selection(self, neurons, connections) -> None:
        """Select exactly these neurons and connections (unknown ones are ignored)."""
        neurons = {n for n in neurons if n in self.items_by_id}
        connections = {tuple(k) for k in connections}
        if neurons == self._selected and connections == self.layer.selected:
            return
        for nid in neurons ^ self._selected:
            self.items_by_id[nid].set_selected(nid in neurons)
        self._selected = neurons
        self.layer.set_selected(connections)
        self._emit_selection()

    def _selection_lost(self) -> None:
        """A selected neuron or connection was removed from the network. The selection
        itself is already right; the signal is sent once for the whole edit (a delete of
        20,000 selected connections removes them one event at a time): by
        :meth:`flush_pending`, which the view calls when the undo stack has run a
        command, or at the next turn of the event loop for edits made outside it."""
        self._selection_dirty = True
        self._changes_pending()

    def _changes_pending(self) -> None:
        if not self._selection_timer.isActive():
            self._selection_timer.start()

    def flush_pending(self) -> None:
        """Finish what a bulk model change left for once per edit: the geometry of added
        connections and the repaint of removed ones (:meth:`ConnectionLayer.flush`), and
        the selection signal owed by removals (at most one)."""
        self._selection_timer.stop()
        self.layer.flush()
        if self._selection_dirty:
            self._emit_selection()

    def _emit_selection(self) -> None:
        self._selection_dirty = False
        self._selection_timer.stop()
        self.sigSelectionChanged.emit(self.selected_neurons(), self.selected_connections())

    # ------------------------------------------------------------ hit testing
    def neuron_item(self, nid: int) -> NeuronItem:
        return self.items_by_id[nid]

    def neuron_at(self, pos: QPointF, pixel: float = 1.0, exclude: int | None = None
                  ) -> tuple[int, str] | tuple[None, None]:
        """``(neuron id, zone)`` of the topmost neuron under ``pos`` (zone ``"rim"`` or
        ``"body"``), or ``(None, None)``."""
        r = RADIUS + 4 * pixel
        for item in self.items(QRectF(pos.x() - r, pos.y() - r, 2 * r, 2 * r),
                               Qt.IntersectsItemBoundingRect, Qt.DescendingOrder):
            if isinstance(item, NeuronItem) and item.nid != exclude:
                zone = item.zone(item.mapFromScene(pos), pixel)
                if zone is not None:
                    return item.nid, zone
        return None, None

    def connection_at(self, pos: QPointF, pixel: float = 1.0) -> Key | None:
        return self.layer.connection_at(pos.x(), pos.y(), 5 * pixel)

    def neurons_in(self, rect: QRectF) -> list[int]:
        return sorted(item.nid for item in self.items(rect, Qt.IntersectsItemShape)
                      if isinstance(item, NeuronItem))

    def content_rect(self) -> QRectF:
        """Bounding rectangle of all neurons (with their labels) and connections."""
        rect = QRectF()
        for item in self.items_by_id.values():
            rect = rect.united(item.sceneBoundingRect())
        return rect

    # ---------------------------------------------------------------- visuals
    def set_activations(self, values: dict[int, float] | None) -> None:
        self.activations = dict(values) if values else None
        for item in self.items_by_id.values():
            item.update()

    def set_gradient_halo(self, values: dict[int, float] | None) -> None:
        self.gradient_halo = dict(values) if values else None
        self.gradient_scale = max((abs(v) for v in values.values()), default=0.0) if values else 0.0
        for item in self.items_by_id.values():
            item.update()

    def refresh_weights(self, weights: dict[Key, float] | None = None,
                        biases: dict[int, float] | None = None) -> None:
        """Recolour connections from ``weights`` without touching the network (live
        training); None re-reads the network's own weights."""
        if weights is None:
            weights, _ = self.network.parameters()
        self.layer.set_weights(weights)
        self.preview_biases = dict(biases) if biases is not None else None

    # --------------------------------------------------------------- tooltips
    def neuron_tooltip(self, nid: int) -> str:
        n = self.network.neuron(nid)
        rows = [f"<b>{n.label}</b> &nbsp;<i>{n.role}</i> (#{n.id})"]
        if n.role != "input":
            bias = self.preview_biases.get(nid, n.bias) if self.preview_biases else n.bias
            rows.append(f"activation function: {n.activation}")
            rows.append(f"bias: {_fmt(bias)}")
            rows.append(f"inputs: {len(self.network.incoming(nid))}")
        if n.feature:
            rows.append(f"feature: {n.feature}")
        if n.target:
            rows.append(f"target: {n.target}")
        if self.activations and nid in self.activations:
            rows.append(f"activation on the sample: {_fmt(self.activations[nid])}")
        if self.gradient_halo and nid in self.gradient_halo:
            rows.append(f"gradient: {_fmt(self.gradient_halo[nid])}")
        for p in self.problems.get(nid, ()):
            mark = "\u26a0" if p.severity == "warning" else "\u2716"
            rows.append(f"<span style='color:#c51b7d'>{mark} {p.message}</span>")
        return "<br>".join(rows)

    def connection_tooltip(self, key: Key) -> str:
        s, t = (self.network.neuron(k) for k in key)
        weight = self.layer.weight(key)
        return f"<b>{s.label} \u2192 {t.label}</b><br>weight: {_fmt(weight)}"

    def tooltip_at(self, pos: QPointF, pixel: float = 1.0) -> str:
        nid, _ = self.neuron_at(pos, pixel)
        if nid is not None:
            return self.neuron_tooltip(nid)
        key = self.connection_at(pos, pixel)
        if key is not None:
            return self.connection_tooltip(key)
        return ""
