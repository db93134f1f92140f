"""``kpitree functions``: the formula language's functions and words, one line each."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "functions",
        help="list the functions a formula may use",
        description="List every function of the formula language with how to call it, what "
        "it gives and an example, then the words t, month and pi.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the table of functions."""
    # Imported here: the table builds sympy expressions, and `kpitree --help` must stay light.
    from kpitree.functions import FUNCTION_TABLE, WORDS

    width = max(len(function.usage) for function in FUNCTION_TABLE)
    for function in FUNCTION_TABLE:
        past = " [reads earlier periods]" if function.reads_past else ""
        print(f"{function.usage:<{width}}  {function.help}{past}")
        print(f"{'':<{width}}    e.g. {function.example}")
    print()
    for word, meaning in WORDS.items():
        print(f"{word:<{width}}  {meaning}")
    return 0
