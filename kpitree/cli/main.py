"""``kpitree``: parse the command line, run one sub-command, turn errors into exit codes.

Exit status: 0 success, 1 a negative answer (target not feasible, an alert fired), 2 bad
input (with ``FILE:LINE: message`` on standard error, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kpitree import __version__
from kpitree.cli import (
    attribute,
    bottleneck,
    check,
    compare,
    evaluate,
    export,
    forecast,
    plot,
    report,
    sensitivity,
    sobol,
    solve,
    tornado,
    validate,
)
from kpitree.errors import KpiTreeError

COMMANDS = (
    validate,
    evaluate,
    sensitivity,
    tornado,
    bottleneck,
    solve,
    forecast,
    sobol,
    compare,
    attribute,
    check,
    plot,
    report,
    export,
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="kpitree",
        description="KPI trees for revenue teams: evaluate a KGI such as ARR from the KPIs "
        "each department owns, find the bottleneck, set targets backward, forecast.",
        epilog="Exit status: 0 ok, 1 negative answer (infeasible target, alert fired), "
        "2 bad input. Run 'kpitree COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"kpitree {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed its message or the help
        return int(exit_.code or 0)
    try:
        return int(args.run(args))
    except KpiTreeError as error:
        print(f"kpitree: {error}" if error.location is None else str(error), file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and closed
        return 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
