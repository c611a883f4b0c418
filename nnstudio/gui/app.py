"""Start the desktop app: ``nnstudio [FILE] [--screenshot PNG] [--size WxH]``.

Without FILE the app opens on the built-in sample network (XOR, bound to its data). FILE
is a network (``.nns``) or a CSV, which is bound as the data of a new network.
``--screenshot PNG`` renders the window with that network to an image and exits: the
README's pictures are made this way (it works offscreen, ``QT_QPA_PLATFORM=offscreen``).

Exit codes: 0 success, 2 the FILE could not be opened (or bad arguments).
"""

from __future__ import annotations

import argparse
import os
import sys

from PySide6.QtCore import QCoreApplication, QSettings, QSize
from PySide6.QtWidgets import QApplication, QMessageBox

ORGANIZATION = "nnstudio"
APPLICATION = "nnstudio"
DEFAULT_SIZE = QSize(1280, 800)
SETTINGS_ENV = "NNSTUDIO_SETTINGS_DIR"


def app_settings() -> QSettings:
    """Where window layout and recent files persist.

    An INI file in ``$NNSTUDIO_SETTINGS_DIR`` when that is set (tests, portable installs),
    so a test run never touches the user's own settings; otherwise the platform's usual
    per-user place.
    """
    folder = os.environ.get(SETTINGS_ENV)
    if folder:
        os.makedirs(folder, exist_ok=True)
        return QSettings(os.path.join(folder, f"{APPLICATION}.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def _size(text: str) -> QSize:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x800, got {text!r}") from None
    if not (200 <= w <= 10000 and 200 <= h <= 10000):
        raise argparse.ArgumentTypeError(f"size {text!r} is out of range (200..10000 pixels)")
    return QSize(w, h)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnstudio",
        description="Build neural networks neuron by neuron, train them, and watch them learn.")
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help="a network file (.nns) to open, or a CSV to bind to a new network "
                             "(default: the built-in XOR sample)")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="render the window to this PNG file and exit")
    parser.add_argument("--size", metavar="WxH", type=_size, default=None,
                        help="window size, e.g. 1280x800 (default for screenshots: 1280x800)")
    return parser


def ensure_application() -> QApplication:
    """The QApplication, created once with the names QSettings and dialogs use."""
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName(ORGANIZATION)
        QCoreApplication.setApplicationName(APPLICATION)
        app = QApplication([sys.argv[0] if sys.argv else APPLICATION])
    else:
        app.setOrganizationName(ORGANIZATION)
        app.setApplicationName(APPLICATION)
    return app


def take_screenshot(window, path: str) -> bool:
    """Let the layout settle, fit the network in view, grab the whole window to ``path``."""
    app = QApplication.instance()
    for _ in range(3):
        app.processEvents()
    window.view.fit()
    app.processEvents()
    return window.grab().save(path, "PNG")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage line
        return int(e.code or 0)

    if args.screenshot is not None and QApplication.instance() is None:
        # A screenshot needs no display, and looks the same on every machine.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = ensure_application()
    from nnstudio.gui.main_window import MainWindow

    screenshot = args.screenshot is not None
    # Screenshots use the default layout and never write settings, so they are reproducible.
    window = MainWindow(restore=not screenshot, open_sample=not args.file)
    try:
        if args.file:
            problem = window.open_startup_file(args.file)
            if problem:
                if screenshot:
                    print(f"nnstudio: cannot open {args.file}: {problem}", file=sys.stderr)
                else:
                    QMessageBox.critical(None, "Cannot open file",
                                         f"Cannot open {args.file}.\n\n{problem}")
                return 2
        if args.size is not None:
            window.resize(args.size)
        window.show()
        if screenshot:
            if not take_screenshot(window, args.screenshot):
                print(f"nnstudio: cannot write the screenshot {args.screenshot}", file=sys.stderr)
                return 1
            return 0
        return app.exec()
    finally:
        # After a normal quit the window is closed already (and asked, and saved settings).
        window.persist_settings = window.persist_settings and window.isVisible()
        window.confirm_close = False
        window.close()
