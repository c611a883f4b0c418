"""The bridge between core commands and Qt's undo stack: one QUndoCommand per core command.

Use :func:`push`::

    new_ids = push(stack, network, AddLayer(10, sources=[1, 2]))

``push`` hands the command to ``stack.push``, which runs ``do()`` through ``redo()``. If the
edit is refused (``NetworkError``), the network is unchanged, nothing lands on the stack
(the command marks itself obsolete, so Qt drops it) and ``push`` raises the error for the
caller to show.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.commands import Command
from ..core.graph import Network, NetworkError

#: The QUndoCommand id shared by commands that may merge (see ``Command.merge``).
_MERGE_ID = 4242


class UndoCommand(QUndoCommand):
    """A core :class:`~nnstudio.core.commands.Command` on a Qt undo stack."""

    def __init__(self, network: Network, command: Command) -> None:
        super().__init__(command.text)
        self.network = network
        self.command = command
        self.error: NetworkError | None = None

    def redo(self) -> None:
        try:
            self.command.do(self.network)
        except NetworkError as exc:  # refused: the command left the network unchanged
            self.error = exc
            self.setObsolete(True)

    def undo(self) -> None:
        self.command.undo(self.network)

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _MERGE_ID if type(self.command).merge is not Command.merge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if isinstance(other, UndoCommand) and other.network is self.network:
            return self.command.merge(other.command)
        return False


def push(stack: QUndoStack, network: Network, command: Command) -> Command:
    """Do ``command`` on ``network`` as one undo step; raise NetworkError if refused."""
    wrapper = UndoCommand(network, command)
    stack.push(wrapper)
    error = wrapper.error
    if error is not None:
        raise error
    return command
