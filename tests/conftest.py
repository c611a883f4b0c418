"""Test-wide setup: Qt renders offscreen, and no test touches the user's settings."""

from __future__ import annotations

import os
import tempfile

# Must be set before any Qt import anywhere in the test session.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_CONFIG_HOME = tempfile.mkdtemp(prefix="nnstudio-test-config-")
os.environ["XDG_CONFIG_HOME"] = _CONFIG_HOME
os.environ["NNSTUDIO_SETTINGS_DIR"] = _CONFIG_HOME

import pathlib  # noqa: E402

import pytest  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "sample_data"


@pytest.fixture
def sample_data() -> pathlib.Path:
    """The folder of committed sample CSVs and example networks."""
    return SAMPLE_DATA
