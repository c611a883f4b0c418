"""The network canvas: a scene mirroring a Network, its items, gestures and the view.

``NetworkView(network, undo_stack)`` is the widget; ``PALETTE_MIME`` is the drag payload
type a palette uses (the role as utf-8 text).
"""

from .scene import NetworkScene
from .view import PALETTE_MIME, NetworkView

__all__ = ["NetworkScene", "NetworkView", "PALETTE_MIME"]
