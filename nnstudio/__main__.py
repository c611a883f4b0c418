"""Entry point: ``nnstudio`` opens the app; ``nnstudio COMMAND ...`` runs headless.

Imports are deferred so the command line never loads Qt and the app starts without
importing the CLI machinery.
"""

from __future__ import annotations

import sys

#: Subcommands that run headless (see nnstudio/cli.py).
HEADLESS_COMMANDS = ("new", "train", "eval", "predict", "solve", "gradcheck", "check", "info")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and (argv[0] in HEADLESS_COMMANDS or argv[0] in ("-h", "--help", "--version")):
        from nnstudio.cli import main as cli_main

        return cli_main(argv)
    from nnstudio.gui.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
