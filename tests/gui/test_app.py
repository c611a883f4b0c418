"""``nnstudio [FILE] [--screenshot PNG] [--size WxH]``: start-up, screenshots, bad files."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage

from nnstudio.core import fileformat
from nnstudio.core.graph import layered
from nnstudio.core.settings import Project
from nnstudio.gui import app


def _png_size(path) -> tuple[int, int]:
    image = QImage(str(path))
    assert not image.isNull()
    return image.width(), image.height()


def test_screenshot_of_the_sample(qapp, tmp_path, settings_dir):
    out = tmp_path / "x.png"
    assert app.main(["--screenshot", str(out)]) == 0
    assert out.stat().st_size > 10_000
    assert _png_size(out) == (1280, 800)
    assert list(settings_dir.iterdir()) == []        # screenshots write no settings


def test_screenshot_of_a_file_at_a_size(qapp, tmp_path):
    net_path = tmp_path / "net.nns"
    fileformat.save_project(Project(layered([4, 10, 3], output="softmax")), str(net_path))
    out = tmp_path / "net.png"
    assert app.main([str(net_path), "--screenshot", str(out), "--size", "1024x700"]) == 0
    assert _png_size(out) == (1024, 700)


def test_screenshot_of_a_csv_builds_its_inputs_and_outputs(qapp, tmp_path, sample_data):
    out = tmp_path / "iris.png"
    assert app.main([str(sample_data / "iris.csv"), "--screenshot", str(out)]) == 0
    assert _png_size(out) == (1280, 800)


def test_bad_file_with_screenshot_is_one_line_on_stderr(qapp, tmp_path, capsys):
    bad = tmp_path / "bad.nns"
    bad.write_text("{not json", encoding="utf-8")
    out = tmp_path / "never.png"
    assert app.main([str(bad), "--screenshot", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "bad.nns" in err and "JSON" in err and "Traceback" not in err
    assert not out.exists()


def test_missing_file_with_screenshot(qapp, tmp_path, capsys):
    assert app.main([str(tmp_path / "nope.nns"), "--screenshot", str(tmp_path / "n.png")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_bad_file_in_the_app_is_a_dialog_and_exit_2(qapp, tmp_path, messages):
    bad = tmp_path / "bad.nns"
    bad.write_text('{"format": "nnstudio-network", "version": 99}', encoding="utf-8")
    assert app.main([str(bad)]) == 2
    assert len(messages) == 1
    kind, _title, text = messages[0]
    assert kind == "critical" and "bad.nns" in text and "newer" in text


def test_bad_size_is_a_usage_error(qapp, capsys):
    assert app.main(["--size", "huge", "--screenshot", "x.png"]) == 2
    assert "1280x800" in capsys.readouterr().err


def test_settings_live_in_the_settings_folder(settings_dir):
    assert app.app_settings().fileName() == str(settings_dir / "nnstudio.ini")


def test_command_line_screenshot_in_a_fresh_process(tmp_path, settings_dir):
    """What the README's pictures are made with: ``python -m nnstudio --screenshot``."""
    out = tmp_path / "cli.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-m", "nnstudio", "--screenshot", str(out)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert _png_size(out) == (1280, 800)
