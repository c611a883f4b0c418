"""Run the command line in-process, as the CLI tests do: exit code and captured output."""

from __future__ import annotations

from nnstudio import cli


def run(capsys, *args) -> tuple[int, str, str]:
    """``nnstudio ARGS`` in this process: (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *args) -> str:
    """``nnstudio ARGS`` that must succeed; its stdout."""
    code, out, err = run(capsys, *args)
    assert code == 0, err
    return out
