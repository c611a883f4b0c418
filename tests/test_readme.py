"""The README's two opening commands are the contract with a new user; CI runs the second."""

from __future__ import annotations

import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```(?:sh|bash|console)?\n(.+?)\n```", text, flags=re.S)


def test_readme_opens_with_run_and_test_commands():
    commands = _readme_commands()
    assert len(commands) >= 2
    run, test = commands[0].strip(), commands[1].strip()
    assert run.endswith(".venv/bin/nnstudio")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command():
    test_command = _readme_commands()[1].strip()
    ci_lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines
