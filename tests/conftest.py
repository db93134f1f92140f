"""Shared fixtures: writing small tree files and running the command line in-process."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the pyplot figures a test's plots made (pyplot holds them until closed)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


TREES = Path(__file__).resolve().parent.parent / "trees"


@pytest.fixture
def write_tree(tmp_path: Path) -> Callable[[str], Path]:
    """Write dedented YAML text to a file in a temporary folder and return its path."""

    def write(text: str, name: str = "tree.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``kpitree`` with the given arguments; return (exit status, stdout, stderr)."""
    from kpitree.cli.main import main

    def run(*argv: str | Path) -> tuple[int, str, str]:
        status = main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run
