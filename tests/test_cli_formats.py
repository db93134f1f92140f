"""Every command that prints a result offers, under ``--format``, every format its result
renders to (``kpitree learn --format csv`` was refused although ``-o x.csv`` worked)."""

from __future__ import annotations

import argparse
import csv
import io

import pytest

from kpitree.cli.main import build_parser
from kpitree.render import FORMATS
from tests.conftest import TREES


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(found.choices)


def _format_choices(parser: argparse.ArgumentParser) -> tuple[str, ...] | None:
    for action in parser._actions:
        if "--format" in action.option_strings:
            return tuple(action.choices or ())
    return None


@pytest.mark.parametrize("name", sorted(_commands()))
def test_format_offers_every_format_or_none(name: str) -> None:
    """A command with --format accepts every renderer format, in the renderer's order."""
    choices = _format_choices(_commands()[name])
    assert choices is None or choices == FORMATS


def test_the_commands_printing_results_all_have_format() -> None:
    """The commands that emit an analysis result (learn among them) take --format."""
    with_format = {name for name, parser in _commands().items() if _format_choices(parser)}
    assert {"eval", "learn", "forecast", "sobol", "attribute", "measure"} <= with_format


def test_learn_prints_csv_keyed_input(cli) -> None:
    """kpitree learn --format csv prints one row per rate, its first column 'input'."""
    status, out, err = cli(
        "learn", TREES / "saas_arr.yaml", "--actuals", TREES / "saas_arr_actuals.csv",
        "--format", "csv",
    )  # fmt: skip
    assert (status, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "input"
    assert {row[0] for row in rows[1:]} >= {"win_rate"}
