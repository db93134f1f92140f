"""``kpitree``: parse the command line, run one sub-command, turn errors into exit codes.

Exit status: 0 success, 1 a negative answer (target not feasible, an alert fired), 2 bad
input (with ``FILE:LINE: message`` on standard error, never a traceback), 3 an alert that
``check --notify`` could not deliver, 130 interrupted (Ctrl-C).

Only argparse and the sub-commands' option definitions are imported here: each command
imports what it computes with (sympy, scipy, pandas, matplotlib) when it runs, so
``kpitree --help`` answers at once.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence

from kpitree import __version__
from kpitree.cli import (
    attribute,
    backtest,
    bottleneck,
    check,
    compare,
    evaluate,
    export,
    forecast,
    functions,
    learn,
    measure,
    plot,
    report,
    sensitivity,
    serve,
    sobol,
    solve,
    sweep,
    tornado,
    validate,
)
from kpitree.cli.options import UsageError, resolve_output
from kpitree.errors import KpiTreeError
from kpitree.excerpt import excerpt

INTERRUPTED = 130
"""Exit status after Ctrl-C, as shells report a process ended by SIGINT (128 + 2)."""

MAX_PERIOD_TEXT = 40
"""Characters in a --period value: labels are short (2027-06, 2027-W05, 120)."""
MAX_NAME_TEXT = 200
"""Characters in a node or scenario name given as an option (node names have at most 100)."""
# Options that name a node or a scenario, by their attribute on the parsed arguments.
_NAME_OPTIONS = {
    "scenario": "--scenario",
    "plan": "--plan",
    "start": "--from",
    "end": "--to",
    "node": "--node",
    "levers": "--lever",
}

# Writing the output can fail on a full disk or a broken device: one line, not a traceback.
_OUTPUT_ERRORS = {
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EIO") if hasattr(errno, name)
}

COMMANDS = (
    validate,
    evaluate,
    sensitivity,
    tornado,
    bottleneck,
    solve,
    forecast,
    learn,
    backtest,
    sobol,
    sweep,
    compare,
    attribute,
    check,
    plot,
    report,
    export,
    measure,
    functions,
    serve,
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="kpitree",
        description="KPI trees for revenue teams: evaluate a KGI such as ARR from the KPIs "
        "each department owns, find the bottleneck, set targets backward, forecast.",
        epilog="Exit status: 0 ok, 1 negative answer (infeasible target, alert fired), "
        "2 bad input, 3 an alert that 'check --notify' could not deliver, 130 interrupted. "
        "Run 'kpitree COMMAND --help' for a command's options.",
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
        _check_lengths(args)
        resolve_output(args)
        status = int(args.run(args))
        sys.stdout.flush()  # a full disk shows here, not in Python's exit
        return status
    except KpiTreeError as error:
        print(f"kpitree: {error}" if error.location is None else str(error), file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and closed
        _silence_stdout()
        return 0
    except OSError as error:
        if error.errno not in _OUTPUT_ERRORS:
            raise
        _silence_stdout()
        print(f"kpitree: cannot write the output: {error.strerror}", file=sys.stderr)
        return 2


def _check_lengths(args: argparse.Namespace) -> None:
    """Refuse a --period or a name far longer than any, before it reaches the tree: a
    5,000-digit period exceeds Python's limit on converting text to int, and a name is
    quoted whole in the tree's messages."""
    period = getattr(args, "period", None)
    if isinstance(period, str) and len(period) > MAX_PERIOD_TEXT:
        raise UsageError(
            f"--period: expected a period label (2027-06) or number, found '{excerpt(period)}'"
        )
    for field, option in _NAME_OPTIONS.items():
        given = getattr(args, field, None)
        for name in given if isinstance(given, list) else [given]:
            if isinstance(name, str) and len(name) > MAX_NAME_TEXT:
                raise UsageError(f"{option}: expected a name, found '{excerpt(name)}'")


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush of what is
    still buffered neither fails again nor prints a traceback."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # not a real file (tests capture it)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def entry() -> None:
    """Console-script entry point."""
    try:
        status = main()
    except KeyboardInterrupt:
        # Ctrl-C: one line and the shell's status for an interrupted command, no traceback.
        _silence_stdout()
        print("kpitree: interrupted", file=sys.stderr)
        status = INTERRUPTED
    sys.exit(status)
