"""Entry point: ``nnstudio`` opens the app; ``nnstudio COMMAND ...`` runs headless.

Imports are deferred so the command line never loads Qt and the app starts without
importing the CLI machinery.

Which one runs is decided by the first argument (:func:`wants_gui`): nothing, an option
(``--screenshot``), an existing path, or a name ending in ``.nns`` or ``.csv`` opens the
app; anything else is a command for the command line, so a typo such as ``nnstudio
trian`` gets "unknown command 'trian' (did you mean 'train'?)" instead of a window (or,
with no display, an abort).
"""

from __future__ import annotations

import os
import sys

#: Subcommands that run headless (see nnstudio/cli.py).
HEADLESS_COMMANDS = ("new", "train", "eval", "predict", "solve", "gradcheck", "check", "info")

#: File names the app opens (a network, or a CSV to bind to a new network).
APP_FILE_SUFFIXES = (".nns", ".csv")


def wants_gui(argv: list[str]) -> bool:
    """True when ``argv`` (without the program name) is for the app, not the command line."""
    if not argv:
        return True
    first = argv[0]
    if first in HEADLESS_COMMANDS or first in ("-h", "--help", "--version"):
        return False
    if first.startswith("-"):
        return True                     # the app's own options, e.g. --screenshot PNG
    return os.path.exists(first) or first.lower().endswith(APP_FILE_SUFFIXES)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not wants_gui(argv):
        from nnstudio.cli import main as cli_main

        return cli_main(argv)
    from nnstudio.gui.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
